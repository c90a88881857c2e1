"""TermExtractor: a saved token-classification model that finds term spans in raw sentences.

A folder holds ``model.json`` (``model_type: term_extractor``, base encoder, tags, config,
metrics, versions), the tokenizer, the classifier head, and either the LoRA adapter (a few MB;
merged into the base encoder at load time) or the whole fine-tuned network (``kind: full``).
It is written like a polarity model: temporary sibling folder, fsync, rename.

Words come from ``spans.words``; the tokenizer gets them pre-split (``is_split_into_words``), so
lowercasing by an uncased tokenizer never moves an offset: spans are taken from the word grid of
the original text. Each word's tag is read off its first sub-token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from core.ml.atomic import save_folder
from core.ml.model import _cpu, _load_tensors
from core.ml.terms.spans import TAGS, words
# Re-exported: the torch-free parts both runtimes share live in core.ml.terms.tagging.
from core.ml.terms.tagging import (FORMAT_VERSION, MODEL_TYPE, OUTSIDE, ExtractedTerm, Extraction,  # noqa: F401
                                   batches_by_length, default_extractor_dir, read_extractor_info)
from core.serve.info import MODEL_JSON, ModelLoadError

IGNORE = -100  # label of sub-tokens after a word's first, and of special tokens


@dataclass(frozen=True)
class EncodedBatch:
    inputs: dict[str, torch.Tensor]
    word_index: list[list[int]]  # per item: token position of each word's first sub-token (-1: cut off)


def encode_words(tokenizer: Any, batch_words: Sequence[Sequence[str]], max_length: int) -> EncodedBatch:
    enc = tokenizer([list(w) for w in batch_words], is_split_into_words=True, truncation=True,
                    max_length=max_length, padding=True, return_tensors="pt")
    index: list[list[int]] = []
    for i, item_words in enumerate(batch_words):
        first = [-1] * len(item_words)
        for pos, wid in enumerate(enc.word_ids(i)):
            if wid is not None and first[wid] == -1:
                first[wid] = pos
        index.append(first)
    inputs = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    return EncodedBatch(inputs, index)


def word_labels(batch: EncodedBatch, tags: Sequence[Sequence[int]]) -> torch.Tensor:
    labels = torch.full(batch.inputs["input_ids"].shape, IGNORE, dtype=torch.long)
    for i, (first, item_tags) in enumerate(zip(batch.word_index, tags)):
        for pos, tag in zip(first, item_tags):
            if pos >= 0:
                labels[i, pos] = tag
    return labels


class TermExtractor(Extraction):
    runtime = "torch"
    precision = "float32"

    def __init__(self, net: torch.nn.Module, tokenizer: Any, info: dict[str, Any], device: str = "cpu",
                 adapter_state: dict[str, torch.Tensor] | None = None):
        self.net = net.eval()
        self.tokenizer = tokenizer
        self.info = info
        self.device = device
        self.max_length = int(info.get("max_length", 128))
        self._adapter_state = adapter_state  # LoRA: saving writes the adapter, not the merged network

    # -- extraction -----------------------------------------------------------------------
    def tag_probabilities(self, texts: Sequence[str], batch_size: int = 64) -> list[list[list[float]]]:
        """Per text, per word: probabilities of O, B, I (words cut off by max_length read O)."""
        grids = [words(t) for t in texts]
        out: list[list[list[float]]] = [[] for _ in texts]
        with torch.inference_mode():
            for idx in batches_by_length([len(g) for g in grids], batch_size, None):
                idx = [i for i in idx if grids[i]]
                if not idx:
                    continue
                batch = encode_words(self.tokenizer, [[texts[i][a:b] for a, b in grids[i]] for i in idx],
                                     self.max_length)
                logits = self.net(**{k: v.to(self.device) for k, v in batch.inputs.items()}).logits
                probs = logits.float().softmax(-1).cpu()
                for row, i in enumerate(idx):
                    out[i] = [probs[row, pos].tolist() if pos >= 0 else list(OUTSIDE)
                              for pos in batch.word_index[row]]
        return out

    # -- persistence ----------------------------------------------------------------------
    def save(self, folder: str | Path, export: bool = True, check: Sequence[Any] | None = None) -> Path:
        """Temporary sibling folder, fsync, rename: a crash leaves no half model. ``export=False``:
        no ONNX file (the shipped starter extractor: its export is built into the user cache).
        ``check``: annotated sentences on which the int8 copy must hold its F1 to serve by default
        (core.ml.terms.int8); without them float32 does."""
        return save_folder(folder, lambda tmp: self._write(tmp, export, check))

    def _write(self, tmp: Path, export: bool = True, check: Sequence[Any] | None = None) -> None:
        from safetensors.torch import save_file

        self.tokenizer.save_pretrained(tmp / "tokenizer")
        save_file(_cpu(self.net.classifier.state_dict()), str(tmp / "head.safetensors"))
        if self.info.get("kind") == "lora":
            save_file(_cpu(self._adapter_state or {}), str(tmp / "adapter.safetensors"))
        else:
            self.net.save_pretrained(tmp / "network", safe_serialization=True)
        if export:  # the network (LoRA: merged) as ONNX, so extraction needs no torch
            from core.ml.terms.onnx_export import write_extractor_export

            self.info.pop("serving", None)
            self.info["serving"] = write_extractor_export(self.net, tmp, tmp, self.info, check)
        else:
            self.info.pop("serving", None)
        (tmp / MODEL_JSON).write_text(json.dumps(self.info, indent=2, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path, device: str = "auto") -> "TermExtractor":
        from core.ml.device import pick_device
        from core.ml.network import load_tokenizer

        folder = Path(folder)
        info = read_extractor_info(folder)
        device = pick_device(device)
        try:
            tokenizer = load_tokenizer(str(folder / "tokenizer"))
            adapter = None
            if info["kind"] == "lora":
                net, adapter = _load_lora(folder, info)
            else:
                net = token_network(str(folder / "network"))
            net.classifier.load_state_dict(_load_tensors(folder / "head.safetensors"))
        except ModelLoadError:
            raise
        except Exception as exc:  # transformers/safetensors raise many types for a damaged folder
            raise ModelLoadError(f"{folder}: cannot load the term extractor ({type(exc).__name__}: {exc})") from exc
        return cls(net.to(device), tokenizer, info, device, adapter)


def token_network(path_or_id: str) -> torch.nn.Module:
    from transformers import AutoModelForTokenClassification

    from core.ml.base_models import quiet_transformers

    quiet_transformers()
    net = AutoModelForTokenClassification.from_pretrained(
        path_or_id, num_labels=len(TAGS), id2label=dict(enumerate(TAGS)), label2id={t: i for i, t in enumerate(TAGS)})
    return net.float()


def _load_lora(folder: Path, info: dict[str, Any]) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

    from core.ml.base_models import BaseModelError, resolve_base_model

    try:
        net = token_network(resolve_base_model(info["base_model"]))
    except BaseModelError as exc:
        raise ModelLoadError(f"{folder}: its base encoder is unavailable: {exc}") from exc
    adapter = _load_tensors(folder / "adapter.safetensors")
    peft_model = get_peft_model(net, LoraConfig(**info["lora"]))
    result = set_peft_model_state_dict(peft_model, adapter)
    if getattr(result, "unexpected_keys", None):
        raise ModelLoadError(f"{folder}: adapter does not fit its base encoder ({result.unexpected_keys[:3]})")
    return peft_model.merge_and_unload(), adapter


ProgressFn = Callable[[int, int], None]
