"""Temperature scaling and calibration measures, in numpy only (no torch).

The one function every prediction path calls is ``apply_temperature(logits, T)``: the torch
predictor (core.ml.model) and the torch-free serving path (core/serve/) both turn logits into
probabilities through it, so a saved ``temperature`` means the same everywhere. Keep its
signature stable.

A temperature divides the logits before the softmax. It never moves the argmax, so accuracy is
unchanged; it only makes the stated confidence match how often the model is right.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

ArrayLike = Sequence[Sequence[float]] | np.ndarray

# Search range for T. Below 0.05 or above 20 the model is broken rather than miscalibrated.
T_MIN, T_MAX = 0.05, 20.0


def apply_temperature(logits: ArrayLike, temperature: float = 1.0) -> np.ndarray:
    """Softmax of ``logits / temperature`` along the last axis (float64; one row or many)."""
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    z = z - z.max(axis=-1, keepdims=True)  # stable: exp never overflows
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def nll(probs: ArrayLike, labels: Sequence[int]) -> float:
    """Mean negative log-likelihood of the true labels (natural log)."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if len(y) == 0:
        return 0.0
    picked = np.clip(p[np.arange(len(y)), y], 1e-12, 1.0)
    return float(-np.log(picked).mean())


def ece(probs: ArrayLike, labels: Sequence[int], bins: int = 10) -> float:
    """Expected calibration error: confidence (top probability) in ``bins`` equal-width bins
    (lo, hi] over [0, 1]; the mean over items of |accuracy - mean confidence| of their bin."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if len(y) == 0:
        return 0.0
    conf = p.max(axis=-1)
    correct = (p.argmax(axis=-1) == y).astype(np.float64)
    # ceil(conf * bins) - 1 puts conf in (k/bins, (k+1)/bins] into bin k; conf = 0 joins bin 0.
    which = np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)
    total = 0.0
    for k in range(bins):
        in_bin = which == k
        if in_bin.any():
            total += in_bin.sum() * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return float(total / len(y))


def reliability(probs: ArrayLike, labels: Sequence[int], bins: int = 10) -> list[dict[str, float]]:
    """Per bin (for a reliability diagram): its range, item count, mean confidence and accuracy."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    conf = p.max(axis=-1) if len(y) else np.zeros(0)
    correct = (p.argmax(axis=-1) == y) if len(y) else np.zeros(0, dtype=bool)
    which = np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)
    out = []
    for k in range(bins):
        in_bin = which == k
        n = int(in_bin.sum())
        out.append({"lo": k / bins, "hi": (k + 1) / bins, "n": n,
                    "confidence": float(conf[in_bin].mean()) if n else 0.0,
                    "accuracy": float(correct[in_bin].mean()) if n else 0.0})
    return out


def fit_temperature(logits: ArrayLike, labels: Sequence[int]) -> float:
    """The T in [0.05, 20] that minimises the NLL of ``labels`` under softmax(logits / T).

    The NLL is convex in 1/T, hence unimodal in log T: a golden-section search on log T finds
    the optimum to ~1e-4 relative without gradients. With no data T = 1 (no change).
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if len(y) == 0:
        return 1.0

    def loss(log_t: float) -> float:
        return nll(apply_temperature(z, math.exp(log_t)), y)

    lo, hi = math.log(T_MIN), math.log(T_MAX)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = loss(a), loss(b)
    while hi - lo > 1e-5:
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = loss(b)
    return float(math.exp((lo + hi) / 2))


def summary(logits: ArrayLike, labels: Sequence[int], temperature: float) -> dict[str, float]:
    """ECE and NLL of ``logits`` before (T = 1) and after scaling by ``temperature``."""
    raw, scaled = apply_temperature(logits, 1.0), apply_temperature(logits, temperature)
    return {"ece_before": round(ece(raw, labels), 4), "ece_after": round(ece(scaled, labels), 4),
            "nll_before": round(nll(raw, labels), 4), "nll_after": round(nll(scaled, labels), 4)}
