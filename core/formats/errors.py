"""The error and result types shared by every reader and writer."""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.domain import TermExample


class FormatError(Exception):
    """Bad input (or an unwritable output): names the file, the 1-based line when known, and why.

    ``str(error)`` is ``"path:line: reason"`` (``"path: reason"`` without a line), the shape
    compilers use, so the CLI can print it as is and editors can jump to it.
    """

    def __init__(self, path: str | os.PathLike[str], line: int | None, reason: str) -> None:
        self.path = os.fspath(path)
        self.line = line
        self.reason = reason
        super().__init__(self.path, line, reason)

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.reason}"
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class ReadResult:
    """What a reader found: the usable examples and how many rows it left out, and why.

    ``skipped_conflict``: rows labeled ``conflict`` (not one of our three classes).
    ``skipped_mismatch``: rows whose span disagrees with the sentence (only with ``lenient``).
    ``skipped_no_target``: SemEval-2016 opinions without a term span (target ``NULL``).
    ``bare``: (line, sentence id, text) of SemEval sentences without any term, read only when
    asked (``keep_bare``): an import keeps them, training has no use for them.
    """

    examples: list[TermExample]
    skipped_conflict: int
    skipped_mismatch: int
    format: str
    skipped_no_target: int = 0
    bare: tuple[tuple[int, str | None, str], ...] = ()
