"""CSV with a header row (standard quoting, so sentences may hold commas, quotes, newlines).

Columns, case-insensitive: ``text`` or ``sentence`` (required), ``label`` or ``polarity``,
``category``, ``term``, ``start``, ``end``, ``id``. A row gives ``start`` and ``end``, or
``term`` alone, which is then looked up in the sentence.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from core.domain import LABEL_NAMES, Prediction, TermExample, find_term
from core.formats._common import Collector, decode_text, parse_offset
from core.formats.errors import FormatError

_ALIASES = {"text": "text", "sentence": "text", "label": "label", "polarity": "label",
            "category": "category", "term": "term", "start": "start", "end": "end", "id": "id"}
# Spreadsheets in some locales save with ';' or tabs; the header tells which one was used.
_DELIMITERS = (",", ";", "\t")


def _header_map(header: list[str]) -> dict[str, int]:
    """Our column name -> index; the first of two aliases (``text`` and ``sentence``) wins."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _ALIASES.get(name.strip().lower())
        if key is not None and key not in columns:
            columns[key] = index
    return columns


def _open_reader(path: str, text: str) -> tuple[Any, dict[str, int], int]:
    """The reader past the header, the column map and the header's width."""
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in _DELIMITERS if "text" in _header_map(first.split(d))), ",")
    # Lines end at LF only (a lone CR is no line break), so line numbers agree with every reader.
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FormatError(path, reader.line_num, f"malformed CSV: {exc}") from None
    if header is None:
        raise FormatError(path, None, "file is empty")
    columns = _header_map(header)
    if "text" not in columns:
        raise FormatError(path, 1, f"missing column 'text' (or 'sentence') in header {header}")
    if ("start" in columns) != ("end" in columns):
        raise FormatError(path, 1, "columns 'start' and 'end' go together: one is missing")
    if "start" not in columns and "term" not in columns:
        raise FormatError(path, 1, "needs columns 'start' and 'end', or 'term'")
    return reader, columns, len(header)


def read(path: str, data: bytes, rows: Collector) -> None:
    reader, columns, width = _open_reader(path, decode_text(path, data))
    line = reader.line_num + 1  # where the next record starts (a record may span lines)
    while True:
        try:
            record = next(reader, None)
        except csv.Error as exc:
            raise FormatError(path, reader.line_num, f"malformed CSV: {exc}") from None
        if record is None:
            break
        if any(field.strip() for field in record):
            if len(record) != width:
                raise FormatError(path, line, f"expected {width} columns as in the header, got {len(record)}")
            _add(path, line, record, columns, rows)
        line = reader.line_num + 1


def _add(path: str, line: int, record: list[str], columns: dict[str, int], rows: Collector) -> None:
    def get(key: str) -> str | None:
        index = columns.get(key)
        return record[index] if index is not None else None

    text, term = get("text") or "", get("term")
    start, end = (get("start") or "").strip(), (get("end") or "").strip()
    if term is not None and not term.strip():
        term = None  # an empty cell gives no term to check
    if start or end:
        begin = parse_offset(path, line, "start", start)
        stop = parse_offset(path, line, "end", end)
    elif term is not None:
        try:
            begin, stop = find_term(text, term)
        except ValueError as exc:
            raise FormatError(path, line, str(exc)) from None
        term = text[begin:stop]  # find_term may have matched another case
    else:
        raise FormatError(path, line, "needs 'start' and 'end', or 'term'")
    sentence_id = get("id")
    rows.add(line, text, begin, stop, get("label"), get("category") or "", term,
             sentence_id if sentence_id and sentence_id.strip() else None)


def write(path: str, examples: Sequence[TermExample], predictions: Sequence[Prediction | None] | None,
          documents: Sequence[tuple[str, int] | None] | None = None) -> str:
    header = ["text", "start", "end", "term", "label", "category"]
    with_ids = any(ex.sentence_id is not None for ex in examples)
    if with_ids:
        header.append("id")
    with_documents = documents is not None and any(d is not None for d in documents)
    if with_documents:
        header += ["document_id", "document_position"]
    if predictions is not None:
        header += ["prediction"] + [f"p_{name}" for name in LABEL_NAMES]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for i, ex in enumerate(examples):
        row: list[object] = [ex.sentence, ex.start, ex.end, ex.term,
                             ex.polarity.value if ex.polarity is not None else "", ex.category]
        if with_ids:
            row.append(ex.sentence_id or "")
        if with_documents:
            document = documents[i]  # type: ignore[index]
            row += list(document) if document is not None else ["", ""]
        if predictions is not None:
            pred = predictions[i]
            row += [pred.label.value, *pred.as_dict().values()] if pred is not None else [""] * 4
        writer.writerow(row)
    return buffer.getvalue()
