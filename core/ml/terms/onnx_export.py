"""ONNX export of a term extractor: the token-classification network (LoRA: adapter merged), from
token ids and masks to per-token O/B/I logits. Written on save; core.ml.terms.onnx_extractor
serves it without torch. The starter extractor's export is built into the user cache instead
(core.serve.starter, ``prefix="starter-extractor"``).
"""

from __future__ import annotations

import copy
import inspect
import logging
import warnings
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn

from core.ml.onnx_export import OPSET, eager_attention
from core.serve.info import ONNX_FILES

log = logging.getLogger(__name__)


class _Exportable(nn.Module):
    """Positional inputs for the exporter; returns the logits tensor alone."""

    def __init__(self, net: Any, takes_types: bool):
        super().__init__()
        self.net = net
        self.takes_types = takes_types

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.takes_types:
            kwargs["token_type_ids"] = token_type_ids
        return self.net(**kwargs).logits


def export_token_network(net: Any, path: Path) -> None:
    """Trace ``net`` (float32, CPU, eval, eager attention) into one ONNX file at ``path``."""
    net = copy.deepcopy(net).to("cpu").float().eval()
    eager_attention(net)
    takes_types = "token_type_ids" in inspect.signature(net.forward).parameters
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if takes_types else [])
    example = torch.tensor([[101, 1996, 2833, 2001, 102, 0]], dtype=torch.long)
    args = (example, torch.ones_like(example)) + ((torch.zeros_like(example),) if takes_types else ())
    axes = {n: {0: "batch", 1: "tokens"} for n in names + ["logits"]}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(_Exportable(net, takes_types), args, str(path), input_names=names, output_names=["logits"],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False, do_constant_folding=True)


def write_extractor_export(net: Any, out: Path, folder: Path | None = None, info: dict[str, Any] | None = None,
                           check: Sequence[Any] | dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``out``/model.onnx and, given ``folder`` (its tokenizer) and ``info``, its int8 copy
    (core.ml.terms.int8; ``check`` decides which one serves by default). Returns the ``serving``
    entry (torch serving if the export fails)."""
    path = out / ONNX_FILES["float32"]
    try:
        export_token_network(net, path)
    except Exception as exc:  # a network the tracer cannot express: torch extracts, as before
        path.unlink(missing_ok=True)
        log.warning("ONNX export failed (%s: %s); this extractor runs with torch", type(exc).__name__, exc)
        return {"runtime": "torch", "export_error": f"{type(exc).__name__}: {exc}"}
    serving = {"runtime": "onnx", "precision": "float32", "files": {"float32": ONNX_FILES["float32"]}}
    if folder is None or info is None:
        return serving
    from core.ml.terms.int8 import add_extractor_int8

    return add_extractor_int8(out, folder, info, serving, check)


def export_folder(folder: Path, out: Path) -> dict[str, Any]:
    """The export of a saved extractor folder into ``out`` (the starter's, built into the user
    cache), int8 copy included; the check the folder records (the starter's) decides its default."""
    from core.ml.terms.extractor import TermExtractor
    from core.ml.terms.int8 import recorded_check

    model = TermExtractor.load(folder, device="cpu")
    return write_extractor_export(model.net, out, folder, model.info, recorded_check(model.info))


def add_extractor_export(folder: Path) -> dict[str, Any]:
    """``polarity models export DIR`` for an extractor folder: the starter's export goes to the user
    cache; any other folder gets model.onnx, moved in first, and model.json replaced last."""
    import os
    import shutil
    import uuid

    from core.ml.atomic import fsync_tree
    from core.ml.terms.onnx_extractor import STARTER_PREFIX
    from core.ml.terms.tagging import default_extractor_dir, read_extractor_info
    from core.serve.quantize import write_json_atomically
    from core.serve.starter import build_export, is_starter

    info = read_extractor_info(folder)
    if is_starter(folder, default_extractor_dir()):  # the shipped folder stays as shipped
        return build_export(folder, export_folder, STARTER_PREFIX)[1]
    tmp = folder / f".export.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        serving = export_folder(folder, tmp)
        fsync_tree(tmp)
        for path in tmp.iterdir():
            os.replace(path, folder / path.name)
        write_json_atomically(folder / "model.json", dict(info, serving=serving))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return serving
