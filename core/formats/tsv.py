"""The seed format: ``polarity<TAB>category<TAB>term<TAB>start:end<TAB>sentence``.

No header and no quoting (sentences hold literal ``"``), CRLF or LF. The CentraleSupélec
files use it under a ``.csv`` name, hence ``looks_like_tsv`` for sniffing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.domain import Prediction, TermExample
from core.formats._common import Collector, decode_text, parse_offset, split_lines
from core.formats.errors import FormatError

COLUMNS = 5
_OFFSETS = re.compile(r"\s*(\d+):(\d+)\s*")
_FORBIDDEN = ("\t", "\n", "\r")  # would break a row: the format has no quoting


def looks_like_tsv(first_line: str) -> bool:
    """True if a line has the seed shape: 5 tab-separated fields, the 4th ``start:end``."""
    fields = first_line.rstrip("\r\n").split("\t")
    return len(fields) == COLUMNS and _OFFSETS.fullmatch(fields[3]) is not None


def read(path: str, data: bytes, rows: Collector) -> None:
    for number, line in enumerate(split_lines(decode_text(path, data)), 1):
        if line.strip():  # blank lines (a trailing newline, a gap) carry nothing
            read_line(path, number, line, rows)


def read_line(path: str, number: int, line: str, rows: Collector) -> None:
    """Parse one non-blank line (also used by the streaming reader)."""
    fields = line.split("\t")
    if len(fields) != COLUMNS:
        raise FormatError(path, number, f"expected {COLUMNS} tab-separated columns "
                          f"(polarity, category, term, start:end, sentence), got {len(fields)}")
    label, category, term, offsets, sentence = fields
    match = _OFFSETS.fullmatch(offsets)
    if match is None:
        raise FormatError(path, number, f"bad offsets {offsets!r} (expected start:end, e.g. 4:9)")
    start = parse_offset(path, number, "start", match[1])
    end = parse_offset(path, number, "end", match[2])
    rows.add(number, sentence, start, end, label, category, term)


def write(path: str, examples: Sequence[TermExample],
          predictions: Sequence[Prediction | None] | None) -> str:
    """The file's text. A prediction, when given, takes the polarity column (the seed's
    output convention); with none, an unlabeled example leaves the column empty."""
    out: list[str] = []
    for i, ex in enumerate(examples):
        pred = predictions[i] if predictions is not None else None
        polarity = pred.label if pred is not None else ex.polarity
        fields = [polarity.value if polarity is not None else "", ex.category, ex.term,
                  f"{ex.start}:{ex.end}", ex.sentence]
        for field in fields:
            if any(ch in field for ch in _FORBIDDEN):
                raise FormatError(path, None, f"example {i + 1} holds a tab or line break, "
                                  "which the tsv format cannot represent; use jsonl or csv")
        out.append("\t".join(fields) + "\n")
    return "".join(out)
