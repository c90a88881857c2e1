"""The network: a transformer encoder, term + sentence pooling, and a small classification head.

all-MiniLM-L6-v2 was trained with mean pooling, so its first token carries little; the features
are the mean of the term's own tokens (markers included) and the mean of the whole input.
"""

from __future__ import annotations

import inspect
from typing import Any

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
    """peft LoRA settings for ``encoder``, keeping only target names the architecture has."""
    from peft import LoraConfig

    names = {name.rsplit(".", 1)[-1] for name, _ in encoder.named_modules()}
    targets = [t for t in cfg.lora_targets if t in names]
    if not targets:
        raise ValueError(f"none of the LoRA target modules {list(cfg.lora_targets)} exist in this encoder "
                         f"(it has e.g. {sorted(n for n in names if n)[:12]})")
    kwargs: dict[str, Any] = {}
    n_layers = getattr(encoder.config, "num_hidden_layers", None) or getattr(encoder.config, "n_layers", 0)
    if cfg.lora_top_layers and n_layers and cfg.lora_top_layers < n_layers:
        kwargs["layers_to_transform"] = list(range(n_layers - cfg.lora_top_layers, n_layers))
    if new_token_ids:
        # Marker tokens the vocabulary lacked: their embeddings must learn, so they are trainable.
        kwargs["trainable_token_indices"] = new_token_ids
    return LoraConfig(r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=targets, bias="none", **kwargs)
