"""Atomic writes of a model folder (plain Python, no torch): the one place that writes a folder to
a temporary sibling, fsyncs it, then renames it, so a crash never leaves a half model behind.

The temporary name ``.<name>.tmp-<hex>`` is what the store's recovery looks for after a kill
(core/storage/versions.py): keep the two in step.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Callable


def save_folder(folder: str | Path, write: Callable[[Path], None]) -> Path:
    """Create ``folder`` with ``write(tmp)`` filling a temporary sibling; never overwrite one."""
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"{folder}: already exists; a model folder is never overwritten")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        write(tmp)
        fsync_tree(tmp)
        os.rename(tmp, folder)
        fsync_dir(folder.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def fsync_tree(root: Path) -> None:
    for dirpath, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def fsync_dir(path: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
