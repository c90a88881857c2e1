"""The starter models' ONNX exports (the polarity starter's and the starter term extractor's),
built on first use into the user's cache.

The starter in ``resources/`` ships only its adapter and head (a few MB): a 90 MB export is never
committed. The export is built once (this needs torch) into ``<cache>/exports/starter-<hash>``,
where the hash covers the shipped model.json, adapter, head and tokenizer, so a new starter gets
a new export and a stale one is never used. ``make starter-export`` builds it ahead of time.
The starter extractor's export goes to ``<cache>/exports/starter-extractor-<hash>`` the same way
(``prefix`` and ``writer`` below; core.ml.terms.onnx_export writes it).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Callable

from core.serve.info import ModelLoadError, weights_hash

SERVING_JSON = "serving.json"


def cache_root() -> Path:
    """$POLARITY_CACHE_DIR, else $XDG_CACHE_HOME/polarity-studio, else ~/.cache/polarity-studio."""
    explicit = os.environ.get("POLARITY_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "polarity-studio"


def is_starter(folder: Path, shipped: Path | None = None) -> bool:
    """``folder`` is the shipped starter model (or ``shipped``, another shipped starter) itself."""
    from core.paths import starter_model_dir

    try:
        return folder.resolve() == (starter_model_dir() if shipped is None else shipped).resolve()
    except OSError:
        return False


def is_starter_copy(folder: Path, shipped: Path | None = None) -> bool:
    """The starter, or a project's copy of it (core.starter copies the small starter into every new
    project): the same files hash the same, so the one cached export serves them all.
    ``shipped``: another shipped starter folder (the starter extractor's) instead of the polarity one."""
    from core.paths import starter_model_dir

    shipped = starter_model_dir() if shipped is None else shipped
    if is_starter(folder, shipped):
        return True
    # A folder with its own encoder (90 MB) is never the starter: not worth hashing.
    if (folder / "encoder").exists() or (folder / "network").exists() or not (shipped / "model.json").is_file():
        return False
    try:
        return weights_hash(folder) == weights_hash(shipped)
    except (OSError, ValueError):
        return False


def bundled_export_dir(prefix: str = "starter") -> Path:
    """A prebuilt export a frozen build may ship beside the starter (a copy of a cache folder):
    resources/starter_export, resources/starter_extractor_export."""
    from core.paths import resources_dir

    return resources_dir() / f"{prefix.replace('-', '_')}_export"


def cached_export(folder: Path, prefix: str = "starter") -> tuple[Path, dict[str, Any] | None]:
    """(where this starter's export is or is to be built, its serving entry if a matching one is there).

    A prebuilt export shipped in resources/starter_export is taken first, then the user cache;
    either only if it was built from exactly these shipped files.
    """
    source = weights_hash(folder)
    target = cache_root() / "exports" / f"{prefix}-{source.split(':', 1)[1][:16]}"
    for where in (bundled_export_dir(prefix), target):
        serving = _matching(where, source)
        if serving is not None:
            return where, serving
    return target, None


def _matching(where: Path, source: str) -> dict[str, Any] | None:
    path = where / SERVING_JSON
    if not path.is_file():
        return None
    try:
        serving = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # A cache folder's name holds a prefix of the hash; the full hash must match too.
    return serving if isinstance(serving, dict) and serving.get("source_hash") == source else None


Writer = Callable[[Path, Path], dict[str, Any]]  # (shipped folder, empty export folder) -> serving entry


def _polarity_writer(folder: Path, out: Path) -> dict[str, Any]:
    from core.ml.model import PolarityModel
    from core.ml.onnx_export import write_export

    model = PolarityModel.load(folder, device="cpu", precision="float32")
    return write_export(model.net, out, folder, model.info)


def build_export(folder: Path, writer: Writer | None = None, prefix: str = "starter") -> tuple[Path, dict[str, Any]]:
    """Build the export into a temporary folder beside the target, fsync, rename (atomic)."""
    try:
        from core.ml.atomic import fsync_dir as _fsync_dir, fsync_tree as _fsync_tree
        import torch  # noqa: F401  (every writer traces with torch: fail early and clearly without it)
    except ImportError as exc:  # a build without torch must ship resources/starter_export instead
        raise ModelLoadError(f"{folder}: its ONNX export is not built, and building it needs torch ({exc})") from exc

    target, serving = cached_export(folder, prefix)
    if serving is not None:
        return target, serving
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        serving = (writer or _polarity_writer)(folder, tmp)
        if serving.get("runtime") != "onnx":
            raise ModelLoadError(f"{folder}: cannot export the starter model ({serving.get('export_error')})")
        serving["source_hash"] = weights_hash(folder)
        (tmp / SERVING_JSON).write_text(json.dumps(serving, indent=2, sort_keys=True), encoding="utf-8")
        _fsync_tree(tmp)
        try:
            os.rename(tmp, target)
        except OSError:  # another process finished first: its export is the same
            if not (target / SERVING_JSON).is_file():
                raise
        _fsync_dir(target.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target, serving


def add_starter_int8(folder: Path) -> dict[str, Any]:
    """``polarity models export STARTER --int8``: the int8 copy added to the cached export (built first
    if missing); serving.json is replaced last, so a crash leaves the float32 export as it was."""
    from core.serve.info import read_info
    from core.serve.quantize import add_int8, write_json_atomically

    where, serving = build_export(folder) if cached_export(folder)[1] is None else cached_export(folder)
    if where == bundled_export_dir():
        raise ModelLoadError(f"{where}: a shipped export is read-only; its int8 copy must be built with it")
    serving = add_int8(where, folder, read_info(folder), serving)
    write_json_atomically(where / SERVING_JSON, serving)
    return serving
