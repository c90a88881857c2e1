"""Helpers every format shares: decoding, row validation, offsets, atomic writes."""

from __future__ import annotations

import codecs
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from core.domain import Polarity, Prediction, TermExample, validate_span
from core.formats.errors import FormatError

CONFLICT = "conflict"
# More digits than any sentence has characters; also keeps int() far below Python's 4300-digit
# limit, past which it raises ValueError instead of giving a number.
MAX_OFFSET_DIGITS = 12
_CONFLICT_ROW = object()  # sentinel: a row labeled "conflict", to be skipped


def read_bytes(path: str) -> bytes:
    """The file's bytes, or a FormatError saying why they cannot be had."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise FormatError(path, None, "file does not exist") from None
    except IsADirectoryError:
        raise FormatError(path, None, "is a folder, not a file") from None
    except OSError as exc:
        raise FormatError(path, None, f"cannot read the file: {exc.strerror or exc}") from None


def strip_bom(data: bytes) -> bytes:
    return data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data


def decode_text(path: str, data: bytes) -> str:
    """Decode UTF-8 (BOM accepted); bad bytes become an error naming their line."""
    data = strip_bom(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.end]
        raise FormatError(path, line, f"not valid UTF-8 (byte {bad!r} at offset {exc.start})") from None


def split_lines(text: str) -> list[str]:
    """Split on LF only, dropping a CR before it.

    Not ``str.splitlines``: that also splits on U+2028, U+0085, form feeds..., which may
    legitimately occur inside a sentence and would shift every later line number.
    """
    lines = text.split("\n")
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def parse_offset(path: str, line: int | None, name: str, value: object) -> int:
    """An offset from a file: a non-negative int, or a string of digits."""
    if isinstance(value, bool):  # bool is an int subclass; True is no offset
        raise FormatError(path, line, f"{name} must be a non-negative integer, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise FormatError(path, line, f"{name} must be a non-negative integer, got {value}")
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            if len(text) > MAX_OFFSET_DIGITS:
                raise FormatError(path, line, f"{name} is too large ({len(text)} digits)")
            return int(text)
    raise FormatError(path, line, f"{name} must be a non-negative integer, got {value!r}")


class Collector:
    """Validates rows the same way for every format and keeps the counts.

    Readers only parse their syntax and hand each row to ``add``; what counts as a
    good row (label, span, term text) is decided here, once.
    """

    def __init__(self, path: str, *, lenient: bool, require_labels: bool, keep_bare: bool = False) -> None:
        self.path = path
        self.lenient = lenient
        self.require_labels = require_labels
        self.keep_bare = keep_bare
        self.examples: list[TermExample] = []
        self.bare: list[tuple[int, str | None, str]] = []  # sentences without terms (keep_bare)
        self.skipped_conflict = 0
        self.skipped_mismatch = 0
        self.skipped_no_target = 0

    def error(self, line: int | None, reason: str) -> FormatError:
        return FormatError(self.path, line, reason)

    def add(self, line: int | None, sentence: str, start: int, end: int, label: str | None,
            category: str = "", term: str | None = None, sentence_id: str | None = None) -> None:
        """Validate one row and keep it, skip it (counted), or raise FormatError."""
        polarity = self._label(line, label)
        if polarity is _CONFLICT_ROW:
            self.skipped_conflict += 1
            return
        if not sentence.strip():
            raise self.error(line, "empty sentence")
        if not self._span_ok(line, sentence, start, end, term):
            self.skipped_mismatch += 1
            return
        self.examples.append(TermExample(sentence, start, end, polarity, category,  # type: ignore[arg-type]
                                         sentence_id, line))

    def _label(self, line: int | None, label: str | None) -> Polarity | object | None:
        if label is None or not label.strip():
            if self.require_labels:
                raise self.error(line, "missing label (labels are required here)")
            return None
        if label.strip().lower() == CONFLICT:
            return _CONFLICT_ROW
        try:
            return Polarity.parse(label)
        except ValueError as exc:
            raise self.error(line, str(exc)) from None

    def _span_ok(self, line: int | None, sentence: str, start: int, end: int, term: str | None) -> bool:
        """True if the span fits; False (lenient) or FormatError when it does not."""
        why = validate_span(sentence, start, end)
        if why is None and term is not None and sentence[start:end] != term:
            why = (f"term {term!r} does not match the sentence text at {start}:{end}, "
                   f"which is {sentence[start:end]!r}")
        if why is None:
            return True
        if self.lenient:
            return False
        raise self.error(line, why)


def check_for_writing(path: str, examples: Sequence[TermExample],
                      predictions: Sequence[Prediction | None] | None) -> None:
    """Refuse to write examples whose span is unusable, or predictions that do not line up."""
    if predictions is not None and len(predictions) != len(examples):
        raise ValueError(f"{len(predictions)} predictions for {len(examples)} examples")
    for i, ex in enumerate(examples, 1):
        why = validate_span(ex.sentence, ex.start, ex.end)
        if why is not None:
            raise FormatError(path, None, f"example {i} cannot be written: {why}")


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` as UTF-8 so that ``path`` holds either the old file or the whole new one.

    Temp file in the same folder (os.replace is only atomic within a filesystem), fsynced
    before the rename so a crash cannot leave a renamed but empty file.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        # os.open with 0o666 lets the umask decide the mode, like a plain open() would.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise FormatError(path, None, f"cannot write the file: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise FormatError(path, None, f"cannot write the file: {exc.strerror or exc}") from None
        raise
