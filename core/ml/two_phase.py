"""Two-phase engine: fine-tune the whole network, then train only the head on cached features.

With the encoder frozen its outputs never change, so phase two computes them once and trains
the head on the cache: twenty head epochs cost one forward pass instead of twenty.
"""

from __future__ import annotations

import copy
import time

import torch
from torch import nn

from core.ml.events import BODY, FEATURES, HEAD
from core.ml.loop import (Context, adamw, encoded_features, epoch_entry, head_logits, linear_schedule,
                          metrics_from_logits, train_epoch)


def train_body(ctx: Context) -> None:
    """Phase one: every weight trains, the encoder at lr[0] and the fresh head at head_lr."""
    cfg, net = ctx.cfg, ctx.net
    epochs = cfg.epochs[0]
    if epochs == 0:
        return
    optimizer = adamw([
        {"params": list(net.encoder.parameters()), "lr": cfg.lr[0]},
        {"params": list(net.head.parameters()), "lr": cfg.head_lr},
    ], cfg.weight_decay)
    n_batches = len(ctx.train_batches(None))
    scheduler = linear_schedule(optimizer, epochs * n_batches, cfg.warmup_ratio)
    for epoch in range(epochs):
        started = time.perf_counter()
        loss = train_epoch(ctx, optimizer, scheduler, cfg.seed + epoch, BODY, epoch + 1, epochs)
        ctx.record(epoch_entry("body", epoch + 1, epochs, loss, None, started))


def train_head(ctx: Context) -> torch.Tensor | None:
    """Phase two: the encoder frozen; the head trains on features computed once. Returns the
    cached training features (calibration reuses them), or None when there was no head phase."""
    cfg, net = ctx.cfg, ctx.net
    epochs = cfg.epochs[1]
    if epochs == 0 or not ctx.dist.is_main:  # under torchrun only rank 0 finishes the model
        return None
    for p in net.encoder.parameters():
        p.requires_grad_(False)
    train_feats = encoded_features(ctx, ctx.train_x, FEATURES)
    dev_feats = encoded_features(ctx, ctx.dev_x, FEATURES) if ctx.dev_x else None
    head_phase(ctx, train_feats, dev_feats)
    return train_feats


def head_phase(ctx: Context, train_feats: torch.Tensor, dev_feats: torch.Tensor | None) -> None:
    """The head's epochs on features already computed (rows in ``ctx.train_y`` / ``ctx.dev_y``
    order); the best dev epoch is kept when ``select_best``. Benchmarks call it on features
    cached once for all folds (benchmarks/bench_mpnet.py)."""
    cfg, net = ctx.cfg, ctx.net
    epochs = cfg.epochs[1]
    head = net.head
    optimizer = adamw([{"params": list(head.parameters()), "lr": cfg.lr[1]}], cfg.weight_decay)
    loss_fn = ctx.loss_fn()
    y = torch.tensor(ctx.train_y)
    gen = torch.Generator().manual_seed(cfg.seed)
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    for epoch in range(epochs):
        ctx.check_stop()
        started = time.perf_counter()
        loss = _head_epoch(head, optimizer, loss_fn, train_feats, y, cfg.batch_size * 2, gen, ctx.device)
        dev = metrics_from_logits(head_logits(head, dev_feats, ctx.device), ctx.dev_y) if dev_feats is not None else None
        ctx.record(epoch_entry("head", epoch + 1, epochs, loss, dev, started))
        ctx.tick(HEAD, epoch + 1, epochs, loss=loss, metrics=dev)
        if cfg.select_best and dev is not None:
            score = dev["accuracy"] + dev["macro_f1"] * 1e-3  # accuracy first, macro-F1 breaks ties
            if best is None or score > best[0]:
                best = (score, copy.deepcopy(head.state_dict()))
    if best is not None:
        head.load_state_dict(best[1])


def fit_head(ctx: Context, head: nn.Module, feats: torch.Tensor, y: torch.Tensor, epochs: int, label: str) -> None:
    """Train a head on cached features for ``epochs`` (no selection); used for out-of-fold calibration."""
    cfg = ctx.cfg
    optimizer = adamw([{"params": list(head.parameters()), "lr": cfg.lr[1]}], cfg.weight_decay)
    loss_fn = ctx.loss_fn()
    gen = torch.Generator().manual_seed(cfg.seed)
    for _ in range(epochs):
        ctx.check_stop()
        _head_epoch(head, optimizer, loss_fn, feats, y, cfg.batch_size * 2, gen, ctx.device)
    ctx.tick(label)


def _head_epoch(head: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: nn.Module, feats: torch.Tensor,
                y: torch.Tensor, batch_size: int, gen: torch.Generator, device: str) -> float:
    head.train()
    order = torch.randperm(len(y), generator=gen)
    total = 0.0
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        logits = head(feats[idx].to(device))
        loss = loss_fn(logits, y[idx].to(device))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        total += loss.item() * len(idx)
    return total / max(len(y), 1)


def run(ctx: Context) -> torch.Tensor | None:
    """Both phases; returns the cached training features of phase two (None without one)."""
    train_body(ctx)
    return train_head(ctx)
