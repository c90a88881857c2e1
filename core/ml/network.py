"""The network: a transformer encoder, term + sentence pooling, and a small classification head.

all-MiniLM-L6-v2 was trained with mean pooling, so its first token carries little; the features
are the mean of the term's own tokens (markers included) and the mean of the whole input.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Sequence

import torch
from torch import nn

from core.domain import LABELS


def pool_features(hidden: torch.Tensor, attention_mask: torch.Tensor, term_mask: torch.Tensor) -> torch.Tensor:
    """[term mean ; sentence mean] -> (batch, 2 * hidden)."""
    def masked_mean(mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)

    return torch.cat([masked_mean(term_mask), masked_mean(attention_mask)], dim=-1)


class TermHead(nn.Module):
    """Dropout -> Linear -> tanh -> Dropout -> Linear, like BERT's pooler plus classifier."""

    def __init__(self, in_features: int, hidden: int, dropout: float, n_labels: int = len(LABELS)):
        super().__init__()
        self.net = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(in_features, hidden), nn.Tanh(),
            nn.Dropout(dropout), nn.Linear(hidden, n_labels),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class PolarityNet(nn.Module):
    def __init__(self, encoder: nn.Module, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.head = TermHead(2 * hidden, hidden, dropout)
        # DistilBERT and some others take no token_type_ids; look once, not per batch.
        forward = getattr(encoder, "get_base_model", lambda: encoder)().forward
        self._takes_types = "token_type_ids" in inspect.signature(forward).parameters
        # BERT's pooler (a dense layer over [CLS]) never feeds these features: freezing it saves
        # its gradient work and keeps DDP from waiting for gradients that never come.
        pooler = getattr(encoder, "pooler", None)
        if pooler is not None:
            pooler.requires_grad_(False)

    def features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        kwargs: dict[str, Any] = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
        if self._takes_types:
            kwargs["token_type_ids"] = batch["token_type_ids"]
        hidden = self.encoder(**kwargs).last_hidden_state
        return pool_features(hidden, batch["attention_mask"], batch["term_mask"])

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.head(self.features(batch))


def load_encoder(path_or_id: str) -> nn.Module:
    from transformers import AutoModel

    from core.ml.base_models import quiet_transformers

    quiet_transformers()
    # float32 master weights whatever the folder stores (a float16 copy loads as float16 in
    # transformers 5); mixed precision is autocast's job during training, not the weights'.
    return AutoModel.from_pretrained(path_or_id).float()


def load_tokenizer(path_or_id: str) -> Any:
    from transformers import AutoTokenizer

    from core.ml.base_models import quiet_transformers

    quiet_transformers()
    return AutoTokenizer.from_pretrained(path_or_id)


def lora_config(cfg: Any, encoder: nn.Module, new_token_ids: list[int]) -> Any:
    """peft LoRA settings for ``encoder``: the configured projections inside its transformer layers.

    Modules are named in full, so projections outside the layers (BERT's pooler is also called
    "dense") get no adapter that the features would never use.
    """
    from peft import LoraConfig

    targets = lora_target_names(encoder, cfg.lora_targets, cfg.lora_top_layers)
    kwargs: dict[str, Any] = {}
    if new_token_ids:
        # Marker tokens the vocabulary lacked: their embeddings must learn, so they are trainable.
        kwargs["trainable_token_indices"] = new_token_ids
    return LoraConfig(r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=targets, bias="none", **kwargs)


def lora_target_names(encoder: nn.Module, wanted: Sequence[str], top_layers: int = 0) -> list[str]:
    """Full names of the linear layers to adapt: last name part in ``wanted``, inside a numbered
    transformer layer, and (if ``top_layers``) only in the top that many layers."""
    names = set(wanted) | {alias for w in wanted for alias in _TARGET_ALIASES.get(w, ())}
    by_layer: dict[int, list[str]] = {}
    for name, module in encoder.named_modules():
        if not isinstance(module, nn.Linear) or name.rsplit(".", 1)[-1] not in names:
            continue
        layer = _LAYER_INDEX.search(name)
        if layer:
            by_layer.setdefault(int(layer.group(1)), []).append(name)
    if not by_layer:
        raise ValueError(f"none of the LoRA target modules {list(wanted)} exist inside this encoder's layers")
    layers = sorted(by_layer)
    if 0 < top_layers < len(layers):
        layers = layers[-top_layers:]
    return [name for i in layers for name in by_layer[i]]


_LAYER_INDEX = re.compile(r"\.(\d+)\.")
# The same projections under other architectures' names: MPNet's attention is attn.q/k/v/o
# (BERT: attention.self.query/key/value and attention.output.dense).
_TARGET_ALIASES: dict[str, tuple[str, ...]] = {"query": ("q",), "key": ("k",), "value": ("v",), "dense": ("o",)}
