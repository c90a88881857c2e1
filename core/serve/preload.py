"""Opening a folder's ONNX export ahead of time, in a background thread (the app's first launch).

The app's first prediction waits for the demo project to be made and opened, then for its model
(the starter's copy) to load. ``preload(starter)`` starts opening the starter's export at launch,
while the window is built and the demo is made: onnxruntime releases the GIL while it reads and
optimises the graph. ``core.serve.load_predictor`` then takes the preloaded predictor when it
asks for the same export file (a project's copy of the starter hashes to the same cached export)
with the same precision and threads, or waits for it if it is still opening. It never builds an
export (that needs torch): a folder whose export is not there yet is not preloaded. At most one
preload per process, taken once, so nothing large is kept around unused for long.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_started = False
_pending: dict[tuple[str, str, int], Future] = {}


def preload(folder: str | Path, threads: int = 0) -> bool:
    """Start opening ``folder``'s export (its default precision) in a daemon thread; False where
    there is nothing to preload (no export built yet, a broken folder) or a preload already ran."""
    global _started
    from core.serve import resolve_export
    from core.serve.info import read_info

    folder = Path(folder)
    try:
        info = read_info(folder)
        where, serving = resolve_export(folder, info, build=False)
    except Exception:  # noqa: BLE001 - a preload is only a head start: the real load reports errors
        return False
    precision = (serving or {}).get("precision", "float32")
    name = (serving or {}).get("files", {}).get(precision)
    if name is None:
        return False
    key = (str(where / name), precision, threads)
    with _lock:
        if _started:
            return False
        _started = True
        future: Future = Future()
        _pending[key] = future
    threading.Thread(target=_open, args=(future, folder, where / name, info, precision, threads),
                     name="onnx-preload", daemon=True).start()
    return True


def _open(future: Future, folder: Path, path: Path, info: dict[str, Any], precision: str, threads: int) -> None:
    from core.serve.onnx_predictor import OnnxPredictor

    try:
        future.set_result(OnnxPredictor.load(folder, path, info, precision, threads))
    except BaseException as exc:  # noqa: BLE001 - handed to whoever takes it
        future.set_exception(exc)


def take(path: Path, precision: str, threads: int) -> Any | None:
    """The predictor preloaded for exactly this export file, precision and threads (waiting for it
    if it is still opening), once; None if there is none or it failed (the caller loads it itself)."""
    with _lock:
        future = _pending.pop((str(path), precision, threads), None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # noqa: BLE001 - the caller's own load says what is wrong
        return None


def active_model_folder(db_file: str | Path) -> Path | None:
    """The active model's folder of a local project file, read with one read-only sqlite query (no
    SQLAlchemy, no schema check, nothing written), for a returning user's preload; None where the
    file is not a project, has no active model, or cannot be read now."""
    import sqlite3

    db = Path(db_file)
    if not db.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=0.2)
        try:
            row = conn.execute("SELECT folder FROM model_versions WHERE active = 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if row is None or not row[0]:
        return None
    folder = Path(row[0])
    return folder if folder.is_absolute() else db.parent / folder  # stored relative to the project file
