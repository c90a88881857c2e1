"""The quick retrain of benchmarks/bench_active.py: the product's head on cached base features.

With the encoder frozen its features never change, so they are computed once for every pool and
test term; each round then trains only the head, exactly as the two-phase head phase does
(core.ml.network.TermHead, the configured class weights, AdamW at lr[1], batch 2 x batch_size),
and fits the temperature on out-of-fold head logits of the labels so far (3 folds grouped by
sentence, core.ml.temperature's folds; off with ``--temperature none``, which saves 3 of every 4
head trainings). No body fine-tuning, so these out-of-fold logits are not biased by it.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

import heads


class FeatureCache:
    def __init__(self, pool: Sequence[Any], test: Sequence[Any], base_model: str, seed: int,
                 head_epochs: int, batch_size: int, calibrate: bool = True, features_file: str | None = None):
        from core.ml.config import TrainConfig

        self.cfg = TrainConfig.for_engine("two-phase", base_model=base_model, seed=seed, batch_size=batch_size,
                                          epochs=(0, head_epochs))
        feats = _cached(features_file, len(pool) + len(test)) if features_file else None
        if feats is None:
            feats = _features(list(pool) + list(test), self.cfg)
            if features_file:
                torch.save(feats, features_file)
        self.pool_x, self.test_x = feats[:len(pool)], feats[len(pool):]
        self.pool_y = torch.tensor([e.polarity.index for e in pool])
        self.test_y = np.array([e.polarity.index for e in test])
        self.groups = [e.sentence for e in pool]
        self.calibrate = calibrate
        # T of a head on the whole pool, out of fold: how far from 1 the uncalibrated picks are.
        self.full_pool_temperature = round(self._temperature(list(range(len(pool))), seed), 4)

    def describe(self) -> dict[str, Any]:
        return {"retrain": "head only, on cached base-encoder features", "head_epochs": self.cfg.epochs[1],
                "calibrated_picks": self.calibrate, "full_pool_temperature": self.full_pool_temperature}

    def train_and_score(self, labeled: Sequence[int], seed: int) -> tuple[Any, float]:
        """A head on the labeled pool items: (pool indices -> calibrated probabilities, test accuracy)."""
        from core.ml.calibration import apply_temperature

        idx = torch.tensor(list(labeled))
        head = self._fit(idx, seed)
        t = self._temperature(list(labeled), seed) if self.calibrate else 1.0
        accuracy = float((heads.logits(head, self.test_x).argmax(1) == self.test_y).mean())

        def proba(items: Sequence[int]) -> np.ndarray:
            return apply_temperature(heads.logits(head, self.pool_x[torch.tensor(list(items))]), t)

        return proba, accuracy

    def _fit(self, idx: torch.Tensor, seed: int) -> torch.nn.Module:
        return heads.fit(self.pool_x[idx], self.pool_y[idx], self.cfg, seed)

    def _temperature(self, labeled: list[int], seed: int) -> float:
        from core.ml.calibration import fit_temperature

        idx = torch.tensor(labeled)
        z = heads.oof_logits(self.pool_x[idx], self.pool_y[idx], [self.groups[i] for i in labeled], self.cfg, seed)
        return fit_temperature(z, self.pool_y[idx].tolist())


def _cached(path: str, n: int) -> torch.Tensor | None:
    """Features saved by an earlier run of the same setting (a rerun then skips the forward pass)."""
    from pathlib import Path

    if not Path(path).is_file():
        return None
    feats = torch.load(path)
    return feats if len(feats) == n else None


def _features(examples: Sequence[Any], cfg: Any) -> torch.Tensor:
    """Pooled features of the untrained network (the base encoder, markers added as at training)."""
    from core.ml.base_models import resolve_base_model
    from core.ml.device import set_seed
    from core.ml.encoding import TermEncoder
    from core.ml.network import PolarityNet, load_encoder, load_tokenizer

    set_seed(cfg.seed)
    path = resolve_base_model(cfg.base_model)
    tokenizer = load_tokenizer(path)
    before = len(tokenizer)
    encoder = TermEncoder.from_tokenizer(tokenizer, cfg.input_style, cfg.max_length)
    body = load_encoder(path)
    if len(tokenizer) > before:
        body.resize_token_embeddings(len(tokenizer))
    return heads.features(PolarityNet(body, cfg.dropout), encoder, examples)
