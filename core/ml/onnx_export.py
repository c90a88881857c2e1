"""ONNX export of the whole network (encoder, term pooling, head: model inputs -> logits).

Written into every saved model folder, so predictions can run in onnxruntime without torch or
transformers (see core/serve). LoRA models are exported with the adapter merged (the network
held in memory already is: see core.ml.lora.run and PolarityModel.load). The float32 graph is
always written; a dynamic int8 copy is written beside it and made the serving default only
where its labels agree with float32 on >= 99.5 % of the check terms (core.serve.quantize).
"""

from __future__ import annotations

import copy
import logging
import warnings
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn

OPSET = 17
log = logging.getLogger(__name__)


class _Exportable(nn.Module):
    """Positional inputs for the exporter; the same forward pass as PolarityNet."""

    def __init__(self, net: Any):
        super().__init__()
        self.net = net

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, term_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        batch = {"input_ids": input_ids, "attention_mask": attention_mask, "term_mask": term_mask,
                 "token_type_ids": token_type_ids if token_type_ids is not None else torch.zeros_like(input_ids)}
        return self.net(batch)


def input_names(net: Any) -> list[str]:
    names = ["input_ids", "attention_mask", "term_mask"]
    return names + ["token_type_ids"] if net._takes_types else names


def export_network(net: Any, path: Path) -> None:
    """Trace ``net`` (float32, CPU, eval) into one self-contained ONNX file at ``path``."""
    net = _cpu_eval_copy(net)
    names = input_names(net)
    example = torch.tensor([[101, 1996, 2833, 2001, 102, 0]], dtype=torch.long)
    args = tuple(example if n == "input_ids" else torch.ones_like(example) if n != "token_type_ids"
                 else torch.zeros_like(example) for n in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    axes["logits"] = {0: "batch"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(_Exportable(net), args, str(path), input_names=names, output_names=["logits"],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False, do_constant_folding=True)


def _cpu_eval_copy(net: Any) -> Any:
    """A float32 CPU copy with eager attention: the traced graph must not depend on the device,
    on autocast, or on an attention kernel the exporter cannot express."""
    net = copy.deepcopy(net).to("cpu").float().eval()
    config = getattr(net.encoder, "config", None)
    if config is not None and hasattr(net.encoder, "set_attn_implementation"):
        try:
            net.encoder.set_attn_implementation("eager")
        except Exception:  # older or custom encoders: keep what they have
            pass
    return net


# -- the export written into a model folder --------------------------------------------------
INT8_MIN_AGREEMENT = 0.995


def write_export(net: Any, out: Path, model_folder: Path, info: dict[str, Any],
                 check_items: Sequence[tuple[str, int, int]] | None = None) -> dict[str, Any]:
    """Write model.onnx (float32) and model.int8.onnx into ``out``; return the ``serving`` entry.
    ``model_folder`` holds the saved tokenizer (``tokenizer/``), read as the serving path reads it.

    int8 becomes the folder's default precision only if its labels agree with float32 on at
    least 99.5 % of ``check_items`` (default: the demo corpus's terms). A failed export leaves
    the folder served by torch, as before, and says why in the entry.
    """
    from core.serve.info import ONNX_FILES

    try:
        export_network(net, out / ONNX_FILES["float32"])
    except Exception as exc:  # an encoder the tracer cannot express: torch serving, as before
        (out / ONNX_FILES["float32"]).unlink(missing_ok=True)
        log.warning("ONNX export failed (%s: %s); this model is served by torch", type(exc).__name__, exc)
        return {"runtime": "torch", "export_error": f"{type(exc).__name__}: {exc}"}
    serving: dict[str, Any] = {"runtime": "onnx", "precision": "float32", "files": {"float32": ONNX_FILES["float32"]}}
    items = list(check_items) if check_items is not None else demo_items()
    try:
        quantize_int8(out / ONNX_FILES["float32"], out / ONNX_FILES["int8"])
        agreement = int8_agreement(out, model_folder, info, items)
    except Exception as exc:  # quantization is an option: float32 still serves
        (out / ONNX_FILES["int8"]).unlink(missing_ok=True)
        serving["int8_error"] = f"{type(exc).__name__}: {exc}"
        return serving
    serving["files"]["int8"] = ONNX_FILES["int8"]
    serving.update(int8_agreement=round(agreement, 5), int8_checked_on=len(items))
    if items and agreement >= INT8_MIN_AGREEMENT:
        serving["precision"] = "int8"
    return serving


def quantize_int8(src: Path, dst: Path) -> None:
    """onnxruntime's dynamic quantization: int8 weights for MatMul/Gemm, activations quantized at run
    time. Per-channel scales: on the starter model they kept 97.7 % of the labels, per-tensor 92 %."""
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
    from core.serve.info import ONNX_FILES
    from core.serve.onnx_predictor import OnnxPredictor

    if not items:
        return 0.0
    labels = []
    for precision in ("float32", "int8"):
        predictor = OnnxPredictor.load(model_folder, out / ONNX_FILES[precision], info, precision)
        labels.append(predictor.predict_arrays(items, 64)[0].argmax(axis=-1))
    return float((labels[0] == labels[1]).mean())


def demo_items() -> list[tuple[str, int, int]]:
    """The demo corpus's terms (resources/demo): the check set every export is measured on."""
    from core.formats import read_examples
    from core.paths import demo_corpus_path

    path = demo_corpus_path()
    if not path.is_file():
        return []
    return [(e.sentence, e.start, e.end) for e in read_examples(path, "jsonl").examples]
