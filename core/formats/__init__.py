"""Readers and writers of aspect-term data.

``read_examples(path)`` picks the format from the extension (sniffing ``.csv`` and ``.xml``),
validates every row the same way whatever the format, and returns the examples with
counts of what it skipped. ``write_examples`` writes atomically. Bad input raises
``FormatError`` naming the file, the line and the reason.

Formats: ``tsv`` (the seed's 5 tab-separated columns), ``semeval14`` and ``semeval16``
(SemEval XML), ``jsonl``, ``csv`` (with a header). Raw text without terms (``.txt``, ``.xlsx``, a
CSV / TSV / JSONL text column) is read by ``core.formats.raw`` and split into sentences by
``core.formats.sentences``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from core.domain import Prediction, TermExample
from core.formats import csv_format, jsonl, tsv, xml_semeval
from core.formats._common import (Collector, atomic_write_text, check_for_writing, read_bytes,
                                  split_lines, strip_bom)
from core.formats.errors import FormatError, ReadResult

__all__ = ["FORMATS", "FormatError", "ReadResult", "detect_format", "read_examples", "write_examples"]

FORMATS: tuple[str, ...] = ("tsv", "semeval14", "semeval16", "jsonl", "csv")

PathLike = str | os.PathLike[str]
_SNIFF_BYTES = 64 * 1024  # enough to hold a first line or an XML root element
_BY_EXTENSION = {".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

_Reader = Callable[[str, bytes, Collector], None]
Documents = Sequence[tuple[str, int] | None] | None  # (document id, position) per example
_Writer = Callable[[str, Sequence[TermExample], Sequence[Prediction | None] | None, Documents], str]
_READERS: dict[str, _Reader] = {
    "tsv": tsv.read, "jsonl": jsonl.read, "csv": csv_format.read,
    "semeval14": lambda p, d, r: xml_semeval.read(p, d, r, "semeval14"),
    "semeval16": lambda p, d, r: xml_semeval.read(p, d, r, "semeval16"),
}
# tsv and SemEval XML have no place for a document: their sentence id ("document:position" for
# raw text) is what they keep of it.
_WRITERS: dict[str, _Writer] = {
    "tsv": lambda p, e, pr, d: tsv.write(p, e, pr), "jsonl": jsonl.write, "csv": csv_format.write,
    "semeval14": lambda p, e, pr, d: xml_semeval.write(p, e, pr, "semeval14"),
    "semeval16": lambda p, e, pr, d: xml_semeval.write(p, e, pr, "semeval16"),
}


def _checked_format(path: str, fmt: str) -> str:
    name = fmt.strip().lower()
    if name not in FORMATS:
        raise FormatError(path, None, f"unknown format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    return name


def _head(path: str) -> bytes:
    """The first bytes of the file, for sniffing."""
    try:
        with open(path, "rb") as fh:
            return strip_bom(fh.read(_SNIFF_BYTES))
    except OSError:
        return read_bytes(path)  # raises the FormatError that says why (missing, folder...)


def _sniff_csv(head: bytes) -> str:
    """``.csv`` holds either the seed format (CentraleSupélec) or a real CSV with a header."""
    text = head.decode("utf-8", errors="replace")
    first = next((line for line in split_lines(text) if line.strip()), "")
    return "tsv" if tsv.looks_like_tsv(first) else "csv"


def detect_format(path: PathLike, fmt: str | None = None) -> str:
    """The format of the file at ``path``: ``fmt`` if given, else from the extension and,
    for ``.csv`` and ``.xml``, from the content. Unknown -> FormatError."""
    where = os.fspath(path)
    if fmt is not None:
        return _checked_format(where, fmt)
    ext = Path(where).suffix.lower()
    if ext in _BY_EXTENSION:
        return _BY_EXTENSION[ext]
    if ext == ".csv":
        return _sniff_csv(_head(where))
    if ext == ".xml":
        return "semeval16" if xml_semeval.looks_like_semeval16(_head(where)) else "semeval14"
    raise FormatError(where, None, f"cannot tell the format from the extension {ext or '(none)'!r}; "
                      f"name one of: {', '.join(FORMATS)}")


def _write_format(path: str, fmt: str | None) -> str:
    """Like detect_format, but the file need not exist: ``.csv`` means csv, ``.xml`` semeval14."""
    if fmt is not None:
        return _checked_format(path, fmt)
    ext = Path(path).suffix.lower()
    by_ext = {**_BY_EXTENSION, ".csv": "csv", ".xml": "semeval14"}
    if ext not in by_ext:
        raise FormatError(path, None, f"cannot tell the format from the extension {ext or '(none)'!r}; "
                          f"name one of: {', '.join(FORMATS)}")
    return by_ext[ext]


def read_examples(path: PathLike, fmt: str | None = None, *, lenient: bool = False,
                  require_labels: bool = False, keep_bare: bool = False) -> ReadResult:
    """Read and validate every example of a file.

    ``lenient``: skip (and count in ``skipped_mismatch``) rows whose span does not fit the
    sentence or whose term text differs from it, instead of failing on the first one.
    ``require_labels``: an unlabeled row is an error (for training or evaluation data).
    ``conflict`` rows are always skipped and counted. A file without examples is an error.
    ``keep_bare``: also return SemEval sentences that have no term (``ReadResult.bare``); a file
    holding only those is then no error.
    """
    where = os.fspath(path)
    name = detect_format(where, fmt)
    data = read_bytes(where)
    rows = Collector(where, lenient=lenient, require_labels=require_labels, keep_bare=keep_bare)
    if not strip_bom(data).strip():
        raise FormatError(where, None, "file is empty")
    _READERS[name](where, data, rows)
    if not rows.examples and not rows.bare:
        skipped = rows.skipped_conflict + rows.skipped_mismatch + rows.skipped_no_target
        raise FormatError(where, None, "no examples found" + (f" ({skipped} rows skipped)" if skipped else ""))
    return ReadResult(rows.examples, rows.skipped_conflict, rows.skipped_mismatch, name,
                      rows.skipped_no_target, tuple(rows.bare))


def write_examples(path: PathLike, examples: Sequence[TermExample], fmt: str | None = None, *,
                   predictions: Sequence[Prediction | None] | None = None, documents: Documents = None) -> None:
    """Write ``examples`` (UTF-8) atomically: the file is complete or left as it was.

    ``predictions`` (one per example, None where there is none): jsonl adds ``prediction``
    and ``probabilities``, csv adds ``prediction, p_negative, p_neutral, p_positive``;
    tsv and SemEval XML have no place for them, so the predicted label is written as the
    polarity (the seed's output convention). ``documents`` (one per example, None where the
    sentence came from no raw document): jsonl and csv add ``document_id, document_position``,
    so that sentences split from one text can be grouped back. Format from ``fmt`` or the extension.
    """
    where = os.fspath(path)
    name = _write_format(where, fmt)
    check_for_writing(where, examples, predictions)
    if documents is not None and len(documents) != len(examples):
        raise ValueError(f"{len(documents)} documents for {len(examples)} examples")
    atomic_write_text(where, _WRITERS[name](where, examples, predictions, documents))
