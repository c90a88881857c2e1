"""Fit a training's temperature on held-out logits (the math is in core.ml.calibration).

Held-out logits come from:
- the dev set, when it has at least ``MIN_DEV`` terms: the finished network scores it once (the
  same pass also gives the dev metrics);
- otherwise out-of-fold logits on the training set: the encoder's features of every training term
  are cached (two-phase has them already from its head phase), K fresh heads are trained on K-1
  folds each (grouped by sentence) and score the fold they did not see. That costs one forward
  pass plus K head trainings on cached features (seconds), where K-fold retraining of the encoder
  would cost K trainings. Its known bias: the encoder was fine-tuned on these rows, so its
  features separate them better than unseen ones, and T comes out too low. Measured
  (benchmarks/results/calibration-cpu.json, centrale, two-phase defaults): out-of-fold T 1.52
  against 2.5-2.8 fitted on held-out halves of the dev set; ECE on dev 0.107 raw, 0.078 with the
  out-of-fold T, 0.037 with a dev-fitted T. So an out-of-fold T may only soften (T >= 1), and a
  dev set of even ``MIN_DEV`` terms is preferred to it.
"""

from __future__ import annotations

import random
from typing import Any, Sequence

import numpy as np
import torch

from core.ml import calibration
from core.ml.loop import Context, encoded_features, head_logits
from core.ml.network import TermHead

# Below this many dev terms a fitted T is mostly noise; out-of-fold logits are used instead. Kept
# low because the out-of-fold T is biased (see above) and the app's dev split is often ~45 terms.
MIN_DEV = 20
OOF_FOLDS = 3
OOF_HEAD_EPOCHS = 20  # when the engine has no head phase of its own (LoRA)


def dev_logits(ctx: Context) -> np.ndarray:
    """Logits of the finished network on the dev set (eval mode)."""
    feats = encoded_features(ctx, ctx.dev_x, "scoring dev set")
    return head_logits(ctx.net.head, feats, ctx.device).numpy()


def calibrate(ctx: Context, groups: Sequence[str], train_feats: torch.Tensor | None,
              dev: np.ndarray | None) -> dict[str, Any]:
    """The calibration record saved in model.json: temperature, method, n, ECE/NLL before and after."""
    if dev is not None and len(ctx.dev_y) >= MIN_DEV:
        logits, labels, method = dev, list(ctx.dev_y), "dev"
    else:
        if train_feats is None:
            train_feats = encoded_features(ctx, ctx.train_x, "calibration · caching features")
        logits, labels = oof_logits(ctx, train_feats, groups)
        method = f"out-of-fold ({OOF_FOLDS} heads on cached features)"
    if len(set(labels)) < 2:  # one class only: nothing to calibrate against
        return {"temperature": 1.0, "method": "none (one class)", "n": len(labels)}
    t = calibration.fit_temperature(logits, labels)
    if method != "dev":  # biased low (see above): trusted to soften, never to sharpen
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
