"""ONNX export of the whole network (encoder, term pooling, head: model inputs -> logits).

Written into every saved model folder, so predictions can run in onnxruntime without torch or
transformers (see core/serve). LoRA models are exported with the adapter merged (the network
held in memory already is: see core.ml.lora.run and PolarityModel.load). The float32 graph is
always written; a dynamic int8 copy only on request (core.serve.quantize), made the serving
default only where its labels agree with float32 on >= 99.5 % of the check terms.
"""

from __future__ import annotations

import copy
import logging
import warnings
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn

# Re-exported: callers and tests read the int8 rule from here too.
from core.serve.quantize import INT8_MIN_AGREEMENT, demo_items, int8_agreement, quantize_int8  # noqa: F401

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
    eager_attention(net.encoder)
    return net


def eager_attention(model: Any) -> None:
    """Switch a transformers model to eager attention (the exporter cannot trace SDPA's kernels)."""
    if getattr(model, "config", None) is not None and hasattr(model, "set_attn_implementation"):
        try:
            model.set_attn_implementation("eager")
        except Exception:  # older or custom encoders: keep what they have
            pass


# -- the export written into a model folder --------------------------------------------------
def write_export(net: Any, out: Path, model_folder: Path, info: dict[str, Any],
                 check_items: Sequence[tuple[str, int, int]] | None = None, int8: bool = False) -> dict[str, Any]:
    """Write model.onnx (float32) into ``out`` (and model.int8.onnx with ``int8``); return the
    ``serving`` entry. ``model_folder`` holds the saved tokenizer (``tokenizer/``), read as the
    serving path reads it.

    int8 becomes the folder's default precision only if its labels agree with float32 on at
    least 99.5 % of ``check_items`` (default: the demo corpus's terms). A failed export leaves
    the folder served by torch, as before, and says why in the entry.
    """
    from core.serve.info import ONNX_FILES
    from core.serve.quantize import add_int8

    try:
        export_network(net, out / ONNX_FILES["float32"])
    except Exception as exc:  # an encoder the tracer cannot express: torch serving, as before
        (out / ONNX_FILES["float32"]).unlink(missing_ok=True)
        log.warning("ONNX export failed (%s: %s); this model is served by torch", type(exc).__name__, exc)
        return {"runtime": "torch", "export_error": f"{type(exc).__name__}: {exc}"}
    serving: dict[str, Any] = {"runtime": "onnx", "precision": "float32", "files": {"float32": ONNX_FILES["float32"]}}
    return add_int8(out, model_folder, info, serving, check_items) if int8 else serving
