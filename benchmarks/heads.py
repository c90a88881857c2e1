"""Head-only training on cached encoder features, as the two-phase head phase does it, for the
benchmarks that compare many heads on one encoder (bench_active's quick retrain, bench_calibration's
calibration schemes): core.ml.network.TermHead, the configured class weights, AdamW at lr[1],
batch 2 x batch_size, cfg.epochs[1] epochs, no selection.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

FOLDS = 3


def features(net: Any, encoder: Any, examples: Sequence[Any]) -> torch.Tensor:
    """Pooled features of ``net``'s encoder for every example, in order (eval mode)."""
    from core.ml.encoding import length_buckets

    net.eval()
    encoded = encoder.encode_many([(e.sentence, e.start, e.end) for e in examples])
    out = torch.empty(len(encoded), 2 * net.encoder.config.hidden_size)
    with torch.inference_mode():
        for idx in length_buckets([len(e.input_ids) for e in encoded], 64, None):
            out[idx] = net.features(encoder.collate([encoded[i] for i in idx])).float()
    return out


def fit(feats: torch.Tensor, y: torch.Tensor, cfg: Any, seed: int) -> torch.nn.Module:
    """A fresh head trained on ``feats`` -> ``y``."""
    from core.ml.loop import class_weights
    from core.ml.network import TermHead
    from core.ml.two_phase import _head_epoch

    torch.manual_seed(seed)
    head = TermHead(feats.shape[1], feats.shape[1] // 2, cfg.dropout)
    optimizer = torch.optim.AdamW(head.parameters(), lr=cfg.lr[1], weight_decay=cfg.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights(y.tolist(), cfg.class_weights))
    gen = torch.Generator().manual_seed(seed)
    for _ in range(cfg.epochs[1]):
        _head_epoch(head, optimizer, loss_fn, feats, y, cfg.batch_size * 2, gen, "cpu")
    return head


def logits(head: torch.nn.Module, feats: torch.Tensor) -> np.ndarray:
    head.eval()
    with torch.inference_mode():
        return head(feats).numpy()


def oof_logits(feats: torch.Tensor, y: torch.Tensor, groups: Sequence[str], cfg: Any, seed: int) -> np.ndarray:
    """Out-of-fold head logits (folds of whole sentences, core.ml.temperature's folds)."""
    from core.ml.temperature import _folds

    fold_of = np.array(_folds(list(groups), FOLDS, seed))
    out = np.zeros((len(y), 3))
    for k in range(FOLDS):
        held = fold_of == k
        if held.all() or not held.any():
            continue
        head = fit(feats[torch.from_numpy(~held)], y[torch.from_numpy(~held)], cfg, seed + 100 + k)
        out[held] = logits(head, feats[torch.from_numpy(held)])
    return out


def fit_bias_temperature(z: np.ndarray, y: Sequence[int]) -> tuple[float, np.ndarray]:
    """T and a per-class bias b minimising the NLL of softmax(z / T + b): the step beyond a
    temperature (it can move the argmax, which a temperature never does)."""
    zt = torch.tensor(z, dtype=torch.float64)
    yt = torch.tensor(list(y))
    log_inv_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(z.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_inv_t, bias], max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(zt * log_inv_t.exp() + bias, yt)
        loss.backward()
        return loss

    opt.step(closure)
    return float((-log_inv_t.detach()).exp()), bias.detach().numpy()
