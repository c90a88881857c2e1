"""The int8 copy of a term extractor's ONNX export, and when it serves by default.

onnxruntime's dynamic quantization (``core.serve.quantize.quantize_int8``: int8 weights per
output channel) runs the extractor ~1.3-1.4x faster on a 2-core CPU. It moves some spans (on the
starter's holdout, ~4 % of the float32 spans differ), so what decides is the score against
people's terms, not agreement with float32: the int8 copy serves by default only when it was
checked on annotated sentences (a ``--dev`` file, a retrain's held-out slice, the starter's
holdout) and lost no more than ``INT8_MAX_F1_LOSS`` of exact-span F1 there. Unchecked exports
(no annotated sentences to check on, or too few terms to tell) keep float32 as their default,
and ``--precision int8`` still chooses the copy. Torch-free.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from core.serve.info import ONNX_FILES

INT8_MAX_F1_LOSS = 0.005
# Fewer terms than this and one span is worth more than the tolerance: the check cannot tell.
INT8_MIN_CHECK_TERMS = 100


def int8_check(where: Path, folder: Path, info: dict[str, Any], sentences: Sequence[Any]) -> dict[str, Any]:
    """Exact-span F1 of the float32 and int8 exports in ``where`` on annotated ``sentences``
    (``folder`` holds the tokenizer), both through the serving path."""
    from core.ml.terms.onnx_extractor import OnnxExtractor
    from core.ml.terms.spans import score_spans

    texts, gold = [s.text for s in sentences], [s.spans for s in sentences]
    scores = {}
    for precision in ("float32", "int8"):
        extractor = OnnxExtractor.load(folder, where / ONNX_FILES[precision], info, precision=precision)
        scores[precision] = score_spans(gold, extractor.extract_spans(texts))
    return {"float32_f1": round(scores["float32"].f1, 4), "int8_f1": round(scores["int8"].f1, 4),
            "n_sentences": len(sentences), "n_terms": scores["float32"].n_terms}


def int8_serves(check: dict[str, Any] | None) -> bool:
    """The check says int8 loses no more than the tolerance, on enough terms to say so."""
    if not isinstance(check, dict) or int(check.get("n_terms", 0)) < INT8_MIN_CHECK_TERMS:
        return False
    return float(check["int8_f1"]) >= float(check["float32_f1"]) - INT8_MAX_F1_LOSS


def add_extractor_int8(where: Path, folder: Path, info: dict[str, Any], serving: dict[str, Any],
                       check: Sequence[Any] | dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``where``/model.int8.onnx beside the float32 export; return the serving entry with it.

    ``check``: annotated sentences to score both copies on now, or a check recorded earlier (the
    starter's, measured on its holdout when it was built), or None."""
    from core.serve.quantize import quantize_int8

    dst = where / ONNX_FILES["int8"]
    tmp = where / f".{dst.name}.tmp-{os.getpid()}"
    serving = dict(serving, files=dict(serving.get("files", {})))
    try:
        quantize_int8(where / serving["files"]["float32"], tmp)
        os.replace(tmp, dst)
        if not isinstance(check, dict):  # sentences to score on now (none: no check)
            check = int8_check(where, folder, info, check) if check else None
    except Exception as exc:  # the copy is an option: float32 still serves
        tmp.unlink(missing_ok=True)
        dst.unlink(missing_ok=True)
        serving["int8_error"] = f"{type(exc).__name__}: {exc}"
        return serving
    serving["files"]["int8"] = ONNX_FILES["int8"]
    if check is not None:
        serving["int8_check"] = check
    serving["precision"] = "int8" if int8_serves(check) else "float32"
    return serving


def recorded_check(info: dict[str, Any]) -> dict[str, Any] | None:
    """The int8 check a folder carries: the starter's (``int8_check``, measured when it was built),
    else the one its last export made (``serving.int8_check``)."""
    check = info.get("int8_check")
    if not isinstance(check, dict):
        check = (info.get("serving") or {}).get("int8_check")
    return check if isinstance(check, dict) else None
