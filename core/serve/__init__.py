"""The torch-free prediction path: ``load_predictor(folder)`` -> an object with

- ``predict_one(sentence, start, end) -> Prediction``
- ``predict_many([(sentence, start, end), ...], batch_size=32) -> list[Prediction]``
- ``predict(examples, batch_size=32, on_progress=None)`` and ``predict_proba(items, ...)``, as
  ``core.ml.model.PolarityModel`` has them (so core.batch and the CLI take either),

and ``runtime`` ("onnx" or "torch") and ``precision`` attributes. With ``runtime="auto"`` a folder
whose model.json says it serves with onnx (and the starter model, whose export is built once into
the user cache) is served by onnxruntime; any other folder by torch. A broken or missing export
falls back to torch with a one-line warning; ``runtime="onnx"`` fails with ModelLoadError instead.
Importing this package imports neither onnxruntime nor torch.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

# onnxruntime writes a telemetry device id under ~/.cache/Microsoft at import unless told not to:
# a prediction must leave the person's home untouched (the self-test checks it). Every import of
# onnxruntime in core goes through this package first.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from core.serve.info import ModelLoadError, read_info, serving_of  # noqa: E402

RUNTIMES = ("auto", "onnx", "torch")
__all__ = ["RUNTIMES", "ModelLoadError", "load_predictor", "resolve_export"]


def _stderr_warning(message: str) -> None:
    print(f"polarity: warning: {message}", file=sys.stderr)


def load_predictor(folder: str | Path, runtime: str = "auto", device: str = "auto", precision: str = "auto", *,
                   warn: Callable[[str], None] = _stderr_warning, threads: int = 0) -> Any:
    """Load ``folder`` for prediction. ``precision``: auto (what model.json says for onnx; see
    core.ml.device for torch), float32, int8 (onnx only) or bfloat16 (torch only)."""
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, not {runtime!r}")
    folder = Path(folder)
    info = read_info(folder)
    if runtime == "torch" or (runtime == "auto" and (device == "cuda" or precision == "bfloat16")):
        return _torch(folder, device, precision)
    try:
        return _onnx(folder, info, precision, runtime == "onnx", threads, warn)
    except ModelLoadError as exc:
        if runtime == "onnx":
            raise
        if exc.args and exc.args[0] == _NO_EXPORT:  # an older folder: torch, as before, silently
            return _torch(folder, device, precision)
        warn(" ".join(str(exc).split()) + "; predicting with torch instead")  # one line, always
        return _torch(folder, device, precision)


_NO_EXPORT = "no export"


def resolve_export(folder: Path, info: dict[str, Any], build: bool = True,
                   notify: Callable[[str], None] | None = None) -> tuple[Path, dict[str, Any] | None]:
    """Where ``folder``'s ONNX files are and its serving entry (None: it has no export)."""
    serving = serving_of(info)
    if serving is not None:
        return folder, serving
    from core.serve.starter import build_export, cached_export, is_starter_copy

    if not is_starter_copy(folder):
        return folder, None
    where, serving = cached_export(folder)
    if serving is None and build:
        if notify:
            notify(f"building the starter model's ONNX export into {where.parent} (once; it takes a while)")
        where, serving = build_export(folder)  # first use: needs torch, once
    return where, serving


def _onnx(folder: Path, info: dict[str, Any], precision: str, wanted: bool, threads: int,
          notify: Callable[[str], None]) -> Any:
    from core.serve.onnx_predictor import OnnxPredictor

    if precision == "bfloat16":
        raise ModelLoadError(f"{folder}: bfloat16 is a torch precision; use --runtime torch or --precision int8|float32")
    where, serving = resolve_export(folder, info, notify=notify)
    if serving is None:
        if wanted:
            raise ModelLoadError(f"{folder}: has no ONNX export (add one: polarity models export {folder}; "
                                 "or use --runtime torch)")
        raise ModelLoadError(_NO_EXPORT)
    chosen = serving.get("precision", "float32") if precision == "auto" else precision
    name = serving["files"].get(chosen)
    if name is None:
        hint = f" (add one: polarity models export {folder} --int8)" if chosen == "int8" else ""
        raise ModelLoadError(f"{folder}: no {chosen} ONNX export{hint}")
    from core.serve.preload import take

    ready = take(where / name, chosen, threads)  # opened at launch by core.serve.preload
    return ready if ready is not None else OnnxPredictor.load(folder, where / name, info, chosen, threads)


def _torch(folder: Path, device: str, precision: str) -> Any:
    if precision == "int8":
        raise ModelLoadError(f"{folder}: int8 is an ONNX precision; use --runtime onnx or --precision float32")
    try:
        from core.ml.model import PolarityModel
    except ImportError as exc:  # a build without torch: onnx is all it has
        raise ModelLoadError(f"{folder}: cannot predict with torch here ({exc})") from exc
    return PolarityModel.load(folder, device=device, precision=precision)
