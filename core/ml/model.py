"""PolarityModel: load a saved model folder, predict terms, save atomically.

A folder holds ``model.json`` (base model, engine, label order, encoding, config, metrics, data
fingerprint, library versions), the tokenizer, the head, and either the whole fine-tuned
encoder (two-phase) or only the LoRA adapter (a few MB; the base encoder is loaded and the
adapter merged into it at load time, so serving costs the same as a plain encoder).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from core.domain import LABELS, Prediction, TermExample
from core.ml.atomic import fsync_dir, fsync_tree, save_folder
from core.ml.device import inference_autocast
from core.ml.encoding import TermEncoder, length_buckets
from core.ml.network import PolarityNet, load_encoder, load_tokenizer
# model.json is read without torch by the serving path too; these names stay importable from here.
from core.serve.info import FORMAT_VERSION, MODEL_JSON, ONNX_FILES, ModelLoadError, read_info  # noqa: F401


class PolarityModel:
    runtime = "torch"  # core.serve's OnnxPredictor says "onnx"; both offer the same prediction calls

    def __init__(self, net: PolarityNet, encoder: TermEncoder, info: dict[str, Any], device: str = "cpu",
                 adapter_state: dict[str, torch.Tensor] | None = None, precision: str = "float32"):
        self.net = net.eval()
        self.encoder = encoder
        self.info = info
        self.device = device
        # Inference precision: "float32", or "bfloat16" autocast (see core.ml.device.inference_precision).
        self.precision = precision
        # LoRA models keep the adapter so that saving writes the small adapter, not the merged encoder.
        self._adapter_state = adapter_state

    # -- prediction -----------------------------------------------------------------------
    def predict(self, examples: Sequence[TermExample], batch_size: int = 32,
                on_progress: Callable[[int, int, str], None] | None = None) -> list[Prediction]:
        probs = self.predict_proba([(e.sentence, e.start, e.end) for e in examples], batch_size, on_progress)
        return [to_prediction(p) for p in probs]

    @property
    def temperature(self) -> float:
        """Fitted at training time (model.json); folders saved before calibration existed read 1."""
        return float(self.info.get("temperature", 1.0))

    def predict_proba(self, items: Sequence[tuple[str, int, int]], batch_size: int = 32,
                      on_progress: Callable[[int, int, str], None] | None = None) -> list[list[float]]:
        """Calibrated probabilities (softmax of logits / temperature), in LABELS order."""
        from core.ml.calibration import apply_temperature

        logits = self.predict_logits(items, batch_size, on_progress)
        return apply_temperature(logits, self.temperature).tolist() if logits else []

    def predict_logits(self, items: Sequence[tuple[str, int, int]], batch_size: int = 32,
                       on_progress: Callable[[int, int, str], None] | None = None) -> list[list[float]]:
        """Raw, uncalibrated logits (for measuring calibration; show people predict_proba)."""
        encoded = self.encoder.encode_many(items)
        out: list[list[float]] = [[0.0] * len(LABELS)] * len(encoded)
        batches = length_buckets([len(e.input_ids) for e in encoded], batch_size, None)
        done = 0
        with torch.inference_mode(), inference_autocast(self.device, self.precision):
            for idx in batches:
                batch = {k: v.to(self.device) for k, v in self.encoder.collate([encoded[i] for i in idx]).items()}
                logits = self.net(batch).float().cpu().tolist()
                for i, row in zip(idx, logits):
                    out[i] = row
                done += len(idx)
                if on_progress:
                    on_progress(done, len(encoded), "predicting")
        return out

    def predict_one(self, sentence: str, start: int, end: int) -> Prediction:
        return to_prediction(self.predict_proba([(sentence, start, end)])[0])

    def predict_many(self, items: Sequence[tuple[str, int, int]], batch_size: int = 32,
                     on_progress: Callable[[int, int, str], None] | None = None) -> list[Prediction]:
        return [to_prediction(p) for p in self.predict_proba(items, batch_size, on_progress)]

    # -- persistence ----------------------------------------------------------------------
    def save(self, folder: str | Path, export: bool = True) -> Path:
        """Write to a temporary sibling folder, fsync, then rename: a crash leaves no half model.
        ``export=False``: no ONNX files (the shipped starter: its export is built into the user cache)."""
        return save_folder(folder, lambda tmp: self._write(tmp, export))

    def _write(self, tmp: Path, export: bool = True) -> None:
        from safetensors.torch import save_file

        self.encoder.tokenizer.save_pretrained(tmp / "tokenizer")
        save_file(_cpu(self.net.head.state_dict()), str(tmp / "head.safetensors"))
        if self.info.get("kind") == "lora":
            save_file(_cpu(self._adapter_state or {}), str(tmp / "adapter.safetensors"))
        else:
            self.net.encoder.save_pretrained(tmp / "encoder", safe_serialization=True)
        from core.ml.onnx_export import write_export

        # The whole network (LoRA: adapter merged) as ONNX, so core.serve predicts without torch.
        if export:
            self.info["serving"] = write_export(self.net, tmp, tmp, self.info)
        else:
            self.info.pop("serving", None)
        (tmp / MODEL_JSON).write_text(json.dumps(self.info, indent=2, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path, device: str = "auto", precision: str = "auto") -> "PolarityModel":
        """Load a model folder. ``precision``: "auto" (bfloat16 where the chip computes it natively,
        else float32), "float32" or "bfloat16"."""
        from core.ml.device import inference_precision, pick_device

        folder = Path(folder)
        info = read_info(folder)
        device = pick_device(device)
        precision = inference_precision(device, precision)
        try:
            tokenizer = load_tokenizer(str(folder / "tokenizer"))
            enc = info["encoding"]
            encoder = TermEncoder.from_tokenizer(tokenizer, enc["style"], int(enc["max_length"]), enc.get("markers"))
            adapter = None
            if info.get("kind") == "lora":
                body, adapter = _load_lora_encoder(folder, info, len(tokenizer))
            else:
                body = load_encoder(str(folder / "encoder"))
            net = PolarityNet(body, dropout=float(info["config"].get("dropout", 0.1)))
            net.head.load_state_dict(_load_tensors(folder / "head.safetensors"))
        except ModelLoadError:
            raise
        except Exception as exc:  # transformers/safetensors raise many types for a damaged folder
            raise ModelLoadError(f"{folder}: cannot load the model ({type(exc).__name__}: {exc})") from exc
        return cls(net.to(device), encoder, info, device, adapter, precision)


def add_export(folder: str | Path, int8: bool = False) -> dict[str, Any]:
    """Add the ONNX export to an existing (older) folder; returns its ``serving`` entry. ``int8``:
    also its int8 copy (where the float32 export is there already, without loading torch's model).

    The files are written to a temporary subfolder, moved in, and model.json is replaced last
    (atomically): until then the folder reads as before.
    """
    from core.ml.onnx_export import write_export
    from core.serve.info import serving_of
    from core.serve.quantize import add_int8
    from core.serve.starter import add_starter_int8, build_export, is_starter

    folder = Path(folder)
    if is_starter(folder):  # the shipped folder stays as shipped: its export lives in the user cache
        return add_starter_int8(folder) if int8 else build_export(folder)[1]
    info = read_info(folder)
    serving = serving_of(info)
    if int8 and serving is not None and (folder / serving["files"].get("float32", "model.onnx")).is_file():
        serving = add_int8(folder, folder, info, serving)
        _replace_info(folder, dict(info, serving=serving))
        return serving
    model = PolarityModel.load(folder, device="cpu", precision="float32")
    tmp = folder / f".export.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        serving = write_export(model.net, tmp, folder, model.info, int8=int8)
        fsync_tree(tmp)
        for path in tmp.iterdir():
            os.replace(path, folder / path.name)
        _replace_info(folder, dict(model.info, serving=serving))
        if "int8" not in serving.get("files", {}):  # an int8 copy of the network exported before
            (folder / ONNX_FILES["int8"]).unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return serving


def _replace_info(folder: Path, info: dict[str, Any]) -> None:
    from core.serve.quantize import write_json_atomically

    write_json_atomically(folder / MODEL_JSON, info)


def to_prediction(probs: Sequence[float]) -> Prediction:
    best = max(range(len(LABELS)), key=lambda i: probs[i])
    return Prediction(LABELS[best], (float(probs[0]), float(probs[1]), float(probs[2])))


def _load_lora_encoder(folder: Path, info: dict[str, Any], vocab_size: int) -> tuple[Any, dict[str, torch.Tensor]]:
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

    from core.ml.base_models import BaseModelError, resolve_base_model

    try:
        base = load_encoder(resolve_base_model(info["base_model"]))
    except BaseModelError as exc:
        raise ModelLoadError(f"{folder}: its base encoder is unavailable: {exc}") from exc
    if base.get_input_embeddings().num_embeddings < vocab_size:
        base.resize_token_embeddings(vocab_size)
    adapter = _load_tensors(folder / "adapter.safetensors")
    peft_model = get_peft_model(base, LoraConfig(**info["lora"]))
    result = set_peft_model_state_dict(peft_model, adapter)
    if getattr(result, "unexpected_keys", None):
        raise ModelLoadError(f"{folder}: adapter does not fit its base encoder ({result.unexpected_keys[:3]})")
    # Merging folds B@A into the weights: inference then runs at plain-encoder speed.
    return peft_model.merge_and_unload(), adapter


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    if not path.is_file():
        raise ModelLoadError(f"{path.parent}: missing {path.name}")
    try:
        return load_file(str(path))
    except Exception as exc:
        raise ModelLoadError(f"{path}: corrupt weights file ({exc})") from exc


def _cpu(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").contiguous() for k, v in state.items()}


