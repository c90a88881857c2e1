"""LoRA engine (peft): low-rank adapters in the encoder, trained together with the head.

The adapter and head are what gets saved (a few MB); for serving, the adapter is merged into
the encoder weights, so prediction runs at plain-encoder speed.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import torch

from core.ml.events import LORA
from core.ml.loop import Context, adamw, epoch_entry, linear_schedule, score_dev, train_epoch
from core.ml.network import lora_config


def run(ctx: Context, new_token_ids: list[int]) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Train; returns (peft LoraConfig as a dict, adapter state). ``ctx.net.encoder`` ends merged."""
    from peft import get_peft_model, get_peft_model_state_dict

    cfg, net = ctx.cfg, ctx.net
    config = lora_config(cfg, net.encoder, new_token_ids)
    net.encoder = get_peft_model(net.encoder, config)
    optimizer = adamw([
        {"params": [p for p in net.encoder.parameters() if p.requires_grad], "lr": cfg.lr[0]},
        {"params": list(net.head.parameters()), "lr": cfg.head_lr},
    ], cfg.weight_decay)
    epochs = cfg.epochs[0]
    n_batches = len(ctx.train_batches(None))
    scheduler = linear_schedule(optimizer, max(1, epochs * n_batches), cfg.warmup_ratio)
    best: tuple[float, dict[str, Any]] | None = None
    for epoch in range(epochs):
        started = time.perf_counter()
        loss = train_epoch(ctx, optimizer, scheduler, cfg.seed + epoch, LORA, epoch + 1, epochs)
        scoring = ctx.dist.is_main and (cfg.select_best or epoch == epochs - 1)
        dev = score_dev(ctx) if scoring else None
        ctx.record(epoch_entry("lora", epoch + 1, epochs, loss, dev, started))
        if cfg.select_best and dev is not None:
            score = dev["accuracy"] + dev["macro_f1"] * 1e-3
            if best is None or score > best[0]:
                best = (score, {"adapter": _clone(get_peft_model_state_dict(net.encoder)),
                                "head": copy.deepcopy(net.head.state_dict())})
    if best is not None:
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(net.encoder, best[1]["adapter"])
        net.head.load_state_dict(best[1]["head"])
    adapter = _clone(get_peft_model_state_dict(net.encoder))
    net.encoder = net.encoder.merge_and_unload()
    return _config_dict(config), adapter


def _clone(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").clone() for k, v in state.items()}


def _config_dict(config: Any) -> dict[str, Any]:
    """The LoraConfig fields needed to rebuild the adapter at load time (JSON-safe)."""
    keys = ("r", "lora_alpha", "lora_dropout", "target_modules", "bias", "trainable_token_indices")
    out: dict[str, Any] = {}
    for k in keys:
        v = getattr(config, k, None)
        if isinstance(v, set):
            v = sorted(v)
        if v is not None:
            out[k] = v
    return out
