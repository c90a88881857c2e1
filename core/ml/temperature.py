"""Fit a training's temperature on held-out logits (the math is in core.ml.calibration).

Held-out logits come from, in this order:
- the dev set, when it has at least ``MIN_DEV`` terms: the finished network scores it once (the
  same pass also gives the dev metrics);
- otherwise a calibration slice: ``HOLDOUT_FRACTION`` of the training terms, stratified by label
  and whole sentences at a time (core.ml.split), is held out before training starts; a model
  trains on the rest and scores the slice once, then (``REFIT_ON_ALL``) the same recipe trains
  again on every row and keeps that T. It needs ``MIN_DEV`` terms, so >= ~200 labels;
- otherwise (fewer labels) out-of-fold logits on the training set: K fresh heads on the cached
  encoder features, each scoring the fold it did not see (one forward pass + K head trainings).

Why a slice rather than out-of-fold heads: the encoder was fine-tuned on the training rows, so
its features separate them better than unseen ones, and an out-of-fold T comes out too low.
Measured (benchmarks/results/calibration-cpu.json, centrale, two-phase defaults, no dev file):
out-of-fold T 1.52 against 2.5-2.8 fitted on held-out halves of the dev set; ECE on dev 0.107
raw, 0.078 with the out-of-fold T. The slice's rows never reach the encoder, so its T carries no
such bias. Measured (benchmarks/results/calibration-cpu.json, seed 13, trained on 1,352 rows, T
from 151 slice terms): slice T 2.84, ECE on dev 0.111 raw -> 0.018 (NLL 0.72 -> 0.43), where
out-of-fold heads on the same encoder gave T 1.54 and ECE 0.090. An out-of-fold T is still
trusted only to soften (T >= 1).
"""

from __future__ import annotations

import random
from typing import Any, Sequence

import numpy as np
import torch

from core.domain import TermExample
from core.ml import calibration
from core.ml.loop import Context, encoded_features, head_logits
from core.ml.network import TermHead
from core.ml.split import stratified_split

# Below this many dev terms a fitted T is mostly noise; out-of-fold logits are used instead. Kept
# low because the out-of-fold T is biased (see above) and the app's dev split is often ~45 terms.
MIN_DEV = 20
# The calibration slice held out of training when there is no dev set: ~150 terms of 1500, as
# many as an app project's dev split (10 %) and enough for T (one parameter) to settle.
HOLDOUT_FRACTION = 0.1
# Once T is fitted on the slice, train again on every row (slice included) and keep that T: the
# final model is the one a training without calibration would give (accuracy unchanged), at twice
# the training time. Measured on centrale (seed 13): the model on 90 % scored 0.840 on dev, ECE
# 0.018; retrained on all 1,503 rows with the slice's T (2.84), 0.853 (as without calibration),
# ECE 0.028, NLL 0.406 (0.431 for the 90 % model). Only trainings without a usable dev set pay
# it: the app always has its dev split.
REFIT_ON_ALL = True
OOF_FOLDS = 3
OOF_HEAD_EPOCHS = 20  # when the engine has no head phase of its own (LoRA)


def holdout(examples: Sequence[TermExample], dev: Sequence[TermExample] | None, seed: int
            ) -> tuple[list[TermExample], list[TermExample]]:
    """(rows to train on, calibration slice): no slice when the dev set is big enough to fit T on,
    nor when the slice would have fewer than ``MIN_DEV`` terms (out-of-fold logits then)."""
    if dev is not None and len(dev) >= MIN_DEV:
        return list(examples), []
    rest, held = stratified_split(examples, HOLDOUT_FRACTION, seed)
    if len(held) < MIN_DEV:
        return list(examples), []
    return rest, held


def dev_logits(ctx: Context, which: str = "dev") -> np.ndarray:
    """Logits of the finished network on the dev set or the calibration slice (eval mode)."""
    encoded = ctx.dev_x if which == "dev" else ctx.calib_x
    feats = encoded_features(ctx, encoded, f"scoring {which} set")
    return head_logits(ctx.net.head, feats, ctx.device).numpy()


def calibrate(ctx: Context, groups: Sequence[str], train_feats: torch.Tensor | None,
              dev: np.ndarray | None) -> dict[str, Any]:
    """The calibration record saved in model.json: temperature, method, n, ECE/NLL before and after."""
    if dev is not None and len(ctx.dev_y) >= MIN_DEV:
        logits, labels, method = dev, list(ctx.dev_y), "dev"
    elif ctx.calib_x:
        logits, labels = dev_logits(ctx, "calibration"), list(ctx.calib_y)
        method = f"held-out slice ({HOLDOUT_FRACTION:.0%} of the training terms, not trained on)"
    else:
        if train_feats is None:
            train_feats = encoded_features(ctx, ctx.train_x, "calibration · caching features")
        logits, labels = oof_logits(ctx, train_feats, groups)
        method = f"out-of-fold ({OOF_FOLDS} heads on cached features)"
    if len(set(labels)) < 2:  # one class only: nothing to calibrate against
        return {"temperature": 1.0, "method": "none (one class)", "n": len(labels)}
    t = calibration.fit_temperature(logits, labels)
    if method.startswith("out-of-fold"):  # biased low (see above): trusted to soften, never to sharpen
        t = max(t, 1.0)
    return {"temperature": round(t, 4), "method": method, "n": len(labels),
            **calibration.summary(logits, labels, t)}


def oof_logits(ctx: Context, feats: torch.Tensor, groups: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """Out-of-fold head logits for every training term (folds keep a sentence's terms together)."""
    from core.ml.two_phase import fit_head

    cfg = ctx.cfg
    y = torch.tensor(ctx.train_y)
    fold_of = _folds(groups, OOF_FOLDS, cfg.seed)
    out = np.zeros((len(y), ctx.net.head.net[-1].out_features))
    epochs = cfg.epochs[1] or OOF_HEAD_EPOCHS
    for k in range(OOF_FOLDS):
        held = torch.tensor([f == k for f in fold_of])
        if held.all() or not held.any():
            continue
        torch.manual_seed(cfg.seed + 100 + k)
        head = TermHead(feats.shape[1], ctx.net.head.net[1].out_features, cfg.dropout).to(ctx.device)
        fit_head(ctx, head, feats[~held], y[~held], epochs, f"calibration · head {k + 1}/{OOF_FOLDS}")
        out[held.numpy()] = head_logits(head, feats[held], ctx.device).numpy()
    return out, list(ctx.train_y)


def _folds(groups: Sequence[str], k: int, seed: int) -> list[int]:
    """Fold number per item: whole groups (sentences) dealt round-robin in a seeded order."""
    keys = sorted(set(groups))
    random.Random(seed).shuffle(keys)
    fold = {key: i % k for i, key in enumerate(keys)}
    return [fold[g] for g in groups]
