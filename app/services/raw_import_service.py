"""Raw text in: whether a chosen file goes through the "Import raw text" dialog, the dialog's
preview (run off the GUI thread: an .xlsx workbook or a long JSONL head takes seconds to parse),
and what the person chose in it. No Qt here: the functions run in a ``Worker``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from app.services.gc_pause import young_collections_only
from core.formats.raw import PREVIEW_BYTES, Preview, is_raw, preview, raw_format

PREVIEW_ROWS = 20
ALL_ROWS = 1 << 30
RAW = "raw"  # the file dialog's "Raw text" filter (app.dialogs.export_dialog.RAW)
# A filter the person chose for a labeled format that also reads raw tables: a CSV or JSONL with
# no span or term column cannot be read as labeled data anyway, so it is offered as raw text.
_RAW_CAPABLE = (None, "csv", "jsonl")


@dataclass(frozen=True)
class RawChoice:
    """What the dialog hands to ``Project.import_file``."""

    text_column: str | None  # None: a .txt file (the line is the text)
    id_column: str | None    # None: the document id is the line (row) number
    split: bool = True


@dataclass(frozen=True)
class RawPreview:
    path: str
    preview: Preview
    rows: int | None  # texts in the file; None: not known without reading it all (.xlsx)
    about: bool       # ``rows`` is counted from line ends (blank lines, quoted line breaks)


def wants_raw_dialog(path: str | os.PathLike[str], fmt: str | None) -> bool:
    """True when ``path`` is imported as raw text (it has no term columns) and so asks its columns first."""
    if fmt == RAW:
        return True
    try:
        raw_format(path)
    except Exception:  # noqa: BLE001 - an extension raw text never has: the labeled readers decide
        return False
    return fmt in _RAW_CAPABLE and is_raw(path)


def preview_job(path: str, n: int = PREVIEW_ROWS, *, on_progress: Callable[[Any], None],
                should_stop: Callable[[], bool]) -> RawPreview:
    """Worker function: the first ``n`` rows (core reads only the file's first MiB) and a row count."""
    if raw_format(path) != "xlsx" and os.path.getsize(path) <= PREVIEW_BYTES:
        # The whole file is the head core reads anyway: every row is parsed, so the count is exact.
        whole = preview(path, ALL_ROWS)
        return RawPreview(path, replace(whole, rows=whole.rows[:n]), len(whole.rows), False)
    if raw_format(path) == "xlsx":
        # openpyxl's read-only load parses the whole of a sheet that has no <dimension> element (one
        # written in openpyxl's write-only mode, among others), keeping each row element until it
        # ends: full collector passes over that heap froze the window ~0.6 s every second or so.
        with young_collections_only():
            shown = preview(path, n)
        return RawPreview(path, shown, len(shown.rows) if len(shown.rows) < n else None, False)
    shown = preview(path, n)
    fmt = shown.format
    lines = count_lines(path, should_stop)
    header = 1 if fmt in ("csv", "tsv") else 0
    return RawPreview(path, shown, max(len(shown.rows), lines - header) if lines is not None else None, True)


def count_lines(path: str | Path, should_stop: Callable[[], bool], chunk: int = 1 << 22) -> int | None:
    """Line ends in the file (a last line without one counts), read in 4 MiB chunks; None when stopped."""
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            if should_stop():
                return None
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")
