"""Raw text in: texts without terms, to be split into sentences and labeled later.

- ``.txt``: one text a line (blank lines carry nothing).
- ``.csv`` / ``.tsv`` with a header, ``.jsonl``, ``.xlsx`` (first sheet, first row the header):
  one text column (``text_column``; else a column named text, sentence, review, comment, ...,
  else the only column) and an optional ``id_column`` kept as the document id.

``read_raw`` returns the sentences with their document id (the id column's value, else the
line or row number) and their position in it. ``preview`` gives the first rows and the column
names for an import dialog's column picker. Bad input raises ``FormatError(path, line, reason)``.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from core.formats import sentences
from core.formats._common import decode_text, read_bytes, split_lines, strip_bom
from core.formats.errors import FormatError

RAW_FORMATS = {".txt": "txt", ".text": "txt", ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl",
               ".ndjson": "jsonl", ".xlsx": "xlsx"}
# Column names taken as the text when none is chosen, in order of preference.
TEXT_NAMES = ("text", "sentence", "review", "comment", "answer", "response", "body", "content", "message")
ID_NAMES = ("id", "document_id", "doc_id", "review_id")
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Document:
    id: str    # the id column's value, else the line (row) number
    text: str
    line: int  # where it starts in the file (a sheet's row for .xlsx)


class RawSentence(NamedTuple):  # a tuple, not a frozen dataclass: an import makes ~200k of them
    text: str
    document_id: str
    position: int  # 0-based index of the sentence in its document
    line: int


@dataclass(frozen=True)
class RawResult:
    sentences: list[RawSentence]
    documents: int
    format: str
    text_column: str | None
    skipped_empty: int = 0


@dataclass(frozen=True)
class Preview:
    """What an import dialog shows: column names, the first rows, and the columns it would pick."""

    format: str
    columns: list[str]
    rows: list[list[str]]
    text_column: str | None
    id_column: str | None = None
    notes: list[str] = field(default_factory=list)


def raw_format(path: PathLike) -> str:
    ext = Path(path).suffix.lower()
    if ext not in RAW_FORMATS:
        raise FormatError(os.fspath(path), None, f"cannot read raw text from {ext or '(no extension)'!r}; "
                          f"use one of: {', '.join(sorted(RAW_FORMATS))}")
    return RAW_FORMATS[ext]


# -- tables: (header, rows with their line) ------------------------------------------------------

Rows = Iterator[tuple[int, list[str]]]


def _delimited(path: str, data: bytes, fmt: str) -> tuple[list[str], Rows]:
    text = decode_text(path, data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if fmt == "tsv" else max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FormatError(path, reader.line_num, f"malformed {fmt.upper()}: {exc}") from None
    if header is None:
        raise FormatError(path, None, "file is empty")

    def rows() -> Rows:
        line = reader.line_num + 1
        while True:
            try:
                record = next(reader, None)
            except csv.Error as exc:
                raise FormatError(path, reader.line_num, f"malformed {fmt.upper()}: {exc}") from None
            if record is None:
                return
            if any(cell.strip() for cell in record):
                if len(record) != len(header):
                    raise FormatError(path, line, f"expected {len(header)} columns as in the header, "
                                      f"got {len(record)}")
                yield line, record
            line = reader.line_num + 1

    return [h.strip() for h in header], rows()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet's 17 is the float 17.0
    return str(value)


def _xlsx(path: str) -> tuple[list[str], Rows]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        grid = sheet.iter_rows(values_only=True)
        header = next(grid, None)
    except Exception as exc:  # a corrupt zip or sheet raises anything from zipfile, lxml, openpyxl
        raise FormatError(path, None, f"not a readable .xlsx workbook ({type(exc).__name__})") from None
    if header is None:
        book.close()
        raise FormatError(path, None, "file is empty")
    names = [_cell(v).strip() for v in header]

    def rows() -> Rows:
        number = 1
        try:
            for number, values in enumerate(grid, 2):
                cells = [_cell(v) for v in values][:len(names)]
                if any(c.strip() for c in cells):
                    yield number, cells + [""] * (len(names) - len(cells))
        except FormatError:
            raise
        except Exception as exc:
            raise FormatError(path, number + 1, f"unreadable row in the sheet ({type(exc).__name__})") from None
        finally:
            book.close()

    return names, rows()


def _jsonl(path: str, data: bytes) -> tuple[list[str], Rows]:
    objects: list[tuple[int, dict[str, object]]] = []
    for number, line in enumerate(split_lines(decode_text(path, data)), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:  # RecursionError: thousands of nested [ or {
            reason = (exc.msg if isinstance(exc, json.JSONDecodeError) else
                      "nested too deeply" if isinstance(exc, RecursionError) else "a number too long")
            raise FormatError(path, number, f"malformed JSON: {reason}") from None
        if not isinstance(obj, dict):
            raise FormatError(path, number, f"expected a JSON object, got {type(obj).__name__}")
        objects.append((number, obj))
    if not objects:
        raise FormatError(path, None, "file is empty")
    names = list(dict.fromkeys(k for _, obj in objects for k in obj))

    def rows() -> Rows:
        for number, obj in objects:
            cells = []
            for name in names:
                value = obj.get(name)
                if isinstance(value, (dict, list)):
                    raise FormatError(path, number, f"{name!r} must be a string or a number, got {json.dumps(value)[:40]}")
                cells.append(_cell(value) if not isinstance(value, bool) else str(value).lower())
            yield number, cells

    return names, rows()


def _txt(path: str, data: bytes) -> tuple[list[str], Rows]:
    lines = split_lines(decode_text(path, data))
    return ["text"], ((n, [line]) for n, line in enumerate(lines, 1) if line.strip())


PREVIEW_BYTES = 1 << 20  # a preview reads the first MiB of a text file, whatever its size


def _head(path: str, size: int) -> tuple[bytes, bool]:
    """The file's first ``size`` bytes cut after its last whole line, and whether it is longer."""
    if not os.path.isfile(path):
        read_bytes(path)  # missing, a folder: the usual error
    try:
        with open(path, "rb") as fh:
            data = fh.read(size + 1)
    except OSError as exc:
        raise FormatError(path, None, f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) <= size:
        return data, False
    cut = data.rfind(b"\n", 0, size)
    return (data[:cut + 1] if cut >= 0 else data[:size]), True


def _table(path: str, fmt: str, head: int | None = None) -> tuple[list[str], Rows, bool]:
    """Column names, the rows, and whether only the first ``head`` bytes were read."""
    if fmt == "xlsx":
        read_bytes(path)  # the file's own errors (missing, a folder) first
        return (*_xlsx(path), False)
    data, cut = _head(path, head) if head is not None else (read_bytes(path), False)
    return (*_text_table(path, fmt, data), cut)


def _text_table(path: str, fmt: str, data: bytes) -> tuple[list[str], Rows]:
    if not strip_bom(data).strip():
        raise FormatError(path, None, "file is empty")
    if fmt == "txt":
        return _txt(path, data)
    if fmt == "jsonl":
        return _jsonl(path, data)
    return _delimited(path, data, fmt)


_LABELED_COLUMNS = {"start", "end", "term"}


def is_raw(path: PathLike, text_column: str | None = None) -> bool:
    """True when the file holds raw texts (no spans, no terms): what ``project import`` splits.

    ``.txt`` and ``.xlsx`` always; a CSV, TSV or JSONL whose header (first object) names no
    ``start``, ``end`` or ``term``, or any of them when a text column is chosen. The seed TSV and
    SemEval XML are labeled data.
    """
    from core.formats import tsv

    ext = Path(path).suffix.lower()
    if ext not in RAW_FORMATS:
        return False
    if text_column is not None or RAW_FORMATS[ext] in ("txt", "xlsx"):
        return True
    try:
        with open(path, "rb") as fh:
            head = strip_bom(fh.read(64 * 1024)).decode("utf-8", errors="replace")
    except OSError:
        return False  # the labeled reader says why
    first = next((line for line in split_lines(head) if line.strip()), "")
    if RAW_FORMATS[ext] == "jsonl":
        try:
            obj = json.loads(first)
        except (ValueError, RecursionError):
            return False
        return isinstance(obj, dict) and not (_LABELED_COLUMNS & set(obj))
    if tsv.looks_like_tsv(first):
        return False
    names = {c.strip().lower() for d in (",", ";", "\t") for c in first.split(d)}
    return not (_LABELED_COLUMNS & names)


# -- choosing columns ----------------------------------------------------------------------------

def _pick(path: str, columns: list[str], chosen: str | None, names: tuple[str, ...], what: str) -> int | None:
    lowered = [c.lower() for c in columns]
    if chosen is not None:
        if chosen in columns:
            return columns.index(chosen)
        if chosen.lower() in lowered:
            return lowered.index(chosen.lower())
        raise FormatError(path, 1, f"no {what} column {chosen!r} (columns: {', '.join(columns) or 'none'})")
    return next((lowered.index(n) for n in names if n in lowered), None)


def _text_index(path: str, columns: list[str], chosen: str | None) -> int:
    index = _pick(path, columns, chosen, TEXT_NAMES, "text")
    if index is None and len(columns) == 1:
        index = 0
    if index is None:
        raise FormatError(path, 1, f"which column holds the text? choose one with --text-column "
                          f"(columns: {', '.join(columns)})")
    return index


def read_documents(path: PathLike, text_column: str | None = None,
                   id_column: str | None = None) -> tuple[list[Document], str, str, int]:
    """(documents, format, text column name, rows skipped because their text was empty)."""
    where = os.fspath(path)
    fmt = raw_format(where)
    columns, rows, _ = _table(where, fmt)
    text_at = _text_index(where, columns, text_column)
    id_at = _pick(where, columns, id_column, (), "id") if id_column is not None else None
    docs: list[Document] = []
    seen: dict[str, int] = {}
    empty = 0
    for line, cells in rows:
        text = cells[text_at]
        if not text.strip():
            empty += 1
            continue
        doc_id = cells[id_at].strip() if id_at is not None else str(line)
        if not doc_id:
            raise FormatError(where, line, f"empty document id in column {columns[id_at]!r}")  # type: ignore[index]
        if doc_id in seen:
            raise FormatError(where, line, f"document id {doc_id!r} is also on line {seen[doc_id]}")
        seen[doc_id] = line
        docs.append(Document(doc_id, text, line))
    if not docs:
        raise FormatError(where, None, "no examples found: no text" + (f" ({empty} empty rows)" if empty else ""))
    return docs, fmt, columns[text_at], empty


def read_raw(path: PathLike, text_column: str | None = None, id_column: str | None = None,
             split: bool = True) -> RawResult:
    """Every text of the file, split into sentences (``split``) or whole, with document and position."""
    stream = stream_raw(path, text_column, id_column, split)
    return RawResult(list(stream.sentences), stream.documents, stream.format, stream.text_column, stream.skipped_empty)


@dataclass(frozen=True)
class RawStream:
    """A raw file read and checked whole (its errors are raised before this exists), its sentences
    yielded as the splitter finishes them, in order."""

    sentences: Iterator[RawSentence]
    documents: int
    format: str
    text_column: str | None
    skipped_empty: int = 0


def stream_raw(path: PathLike, text_column: str | None = None, id_column: str | None = None,
               split: bool = True) -> RawStream:
    """``read_raw``, with the sentences as an iterator: the file is read and checked first, so a bad
    row fails here; splitting then runs while the caller consumes (and stores) what is ready."""
    docs, fmt, column, empty = read_documents(path, text_column, id_column)
    texts = [d.text for d in docs]
    # Whole texts lose only the spaces around them (a document's text is never blank here).
    all_spans = sentences.split_stream(texts) if split else ([sentences.trimmed(t)] for t in texts)

    def each() -> Iterator[RawSentence]:
        try:  # spans first: zip then runs the splitter to its end, which shuts its workers down
            for spans, doc in zip(all_spans, docs):
                for position, (start, end) in enumerate(spans):
                    yield RawSentence(doc.text[start:end], doc.id, position, doc.line)
        finally:
            all_spans.close()  # a consumer that stops early stops the splitter's workers

    return RawStream(each(), len(docs), fmt, column, empty)


def preview(path: PathLike, n: int = 20) -> Preview:
    """The first ``n`` rows and the column names, and the text / id columns an import would take."""
    where = os.fspath(path)
    fmt = raw_format(where)
    columns, rows, cut = _table(where, fmt, head=PREVIEW_BYTES)
    shown: list[list[str]] = []
    try:
        for _line, cells in rows:
            if len(shown) >= n:
                break
            shown.append(cells)
    except FormatError:
        if not (cut and shown):
            raise  # a real error; a record cut at the end of the first MiB is none
    close = getattr(rows, "close", None)
    if close is not None:
        close()  # an .xlsx generator closes its workbook
    lowered = [c.lower() for c in columns]
    text_at = next((lowered.index(t) for t in TEXT_NAMES if t in lowered), 0 if len(columns) == 1 else None)
    id_at = next((lowered.index(t) for t in ID_NAMES if t in lowered), None)
    notes = [] if text_at is not None else ["choose the text column"]
    return Preview(fmt, columns, shown, columns[text_at] if text_at is not None else None,
                   columns[id_at] if id_at is not None else None, notes)
