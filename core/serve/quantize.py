"""The int8 copy of an export: onnxruntime's dynamic quantization, and its label agreement with float32.

Written only on request (``polarity models export DIR --int8``): on the models measured it never
kept the >= 99.5 % label agreement that would make it a folder's default (see the README's
int8 table), so writing it into every saved folder only cost 23 MB each. Torch-free: adding the
int8 copy to a folder that already has its float32 export loads no torch.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Sequence

from core.serve.info import ONNX_FILES

INT8_MIN_AGREEMENT = 0.995


def quantize_int8(src: Path, dst: Path) -> None:
    """Dynamic quantization: int8 weights (per output channel) for MatMul/Gemm/Gather, activations
    quantized at run time. Of the variants tried on the starter (per-tensor, reduce_range, MatMul
    only, head or last layer or attention products or FFN output left in float32, 8-bit blockwise
    MatMulNBits), per-channel kept the most labels for its speed-up; none reached 99.5 %."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process the graph is not the user's business
    try:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


def int8_agreement(out: Path, model_folder: Path, info: dict[str, Any],
                   items: Sequence[tuple[str, int, int]]) -> float:
    """Share of ``items`` whose int8 label equals the float32 label, both through the serving path."""
    from core.serve.onnx_predictor import OnnxPredictor

    if not items:
        return 0.0
    labels = []
    for precision in ("float32", "int8"):
        predictor = OnnxPredictor.load(model_folder, out / ONNX_FILES[precision], info, precision)
        labels.append(predictor.predict_arrays(items, 64)[0].argmax(axis=-1))
    return float((labels[0] == labels[1]).mean())


def add_int8(where: Path, model_folder: Path, info: dict[str, Any], serving: dict[str, Any],
             check_items: Sequence[tuple[str, int, int]] | None = None) -> dict[str, Any]:
    """Write ``where``/model.int8.onnx beside its float32 export; return the updated serving entry
    (the caller writes it). int8 becomes the default precision only at >= 99.5 % agreement."""
    items = list(check_items) if check_items is not None else demo_items()
    dst = where / ONNX_FILES["int8"]
    tmp = where / f".{dst.name}.tmp-{os.getpid()}"
    serving = dict(serving, files=dict(serving.get("files", {})))
    try:
        quantize_int8(where / serving["files"].get("float32", ONNX_FILES["float32"]), tmp)
        os.replace(tmp, dst)
        agreement = int8_agreement(where, model_folder, info, items)
    except Exception as exc:  # quantization is an option: float32 still serves
        tmp.unlink(missing_ok=True)
        dst.unlink(missing_ok=True)
        serving["files"].pop("int8", None)
        serving["int8_error"] = f"{type(exc).__name__}: {exc}"
        return serving
    serving.pop("int8_error", None)
    serving["files"]["int8"] = ONNX_FILES["int8"]
    serving.update(int8_agreement=round(agreement, 5), int8_checked_on=len(items))
    serving["precision"] = "int8" if items and agreement >= INT8_MIN_AGREEMENT else "float32"
    return serving


def demo_items() -> list[tuple[str, int, int]]:
    """The demo corpus's terms (resources/demo): the check set every int8 copy is measured on."""
    from core.formats import read_examples
    from core.paths import demo_corpus_path

    path = demo_corpus_path()
    if not path.is_file():
        return []
    return [(e.sentence, e.start, e.end) for e in read_examples(path, "jsonl").examples]


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    from core.ml.atomic import fsync_dir

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=2, sort_keys=True))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
