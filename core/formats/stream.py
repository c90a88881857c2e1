"""Streaming reads: examples one by one, in constant memory, for files of any size.

The line formats (tsv, jsonl) are parsed as they are read, with the same row checks and the
same errors as ``read_examples``. csv and SemEval XML are read whole (their records may span
lines; such files are rarely large).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from core.domain import TermExample
from core.formats import jsonl, tsv
from core.formats._common import Collector, strip_bom
from core.formats.errors import FormatError

_LINE_READERS = {"tsv": tsv.read_line, "jsonl": jsonl.read_line}


def iter_examples(path: str | os.PathLike[str], fmt: str | None = None, *, lenient: bool = False,
                  require_labels: bool = False) -> Iterator[TermExample]:
    """Yield the examples of a file as they are read; bad input raises FormatError(path, line, reason)."""
    from core.formats import detect_format, read_examples

    where = os.fspath(path)
    name = detect_format(where, fmt)
    reader = _LINE_READERS.get(name)
    if reader is None:
        yield from read_examples(where, name, lenient=lenient, require_labels=require_labels).examples
        return
    rows = Collector(where, lenient=lenient, require_labels=require_labels)
    found = 0
    for number, line in _lines(where):
        reader(where, number, line, rows)
        if rows.examples:
            found += len(rows.examples)
            yield from rows.examples
            rows.examples.clear()
    if not found:
        raise FormatError(where, None, "no examples found")


def count_lines(path: str | os.PathLike[str]) -> int:
    """Number of lines, counted in 1 MiB blocks (for a progress total before streaming)."""
    n = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return n


def _lines(path: str) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; LF splits lines, a CR before it is dropped."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise FormatError(path, None, "file does not exist") from None
    except IsADirectoryError:
        raise FormatError(path, None, "is a folder, not a file") from None
    with fh:
        for number, raw in enumerate(fh, 1):
            if number == 1:
                raw = strip_bom(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(path, number, f"not valid UTF-8 (byte {raw[exc.start:exc.end]!r})") from None
            line = line[:-1] if line.endswith("\n") else line
            line = line[:-1] if line.endswith("\r") else line
            if line.strip():
                yield number, line
