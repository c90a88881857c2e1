"""benchmarks/bench_mpnet.py: one head run scores every epoch count (the property its CV rests on),
and the frozen-encoder features it caches are the engine's, computed once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_mpnet.py"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("bench_mpnet", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_head_after_k_of_n_epochs_is_the_head_of_a_k_epoch_run(bench):
    import torch

    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(90, 16, generator=gen)
    y = [int(v) for v in torch.randint(0, 3, (90,), generator=gen)]
    seen: dict[int, torch.Tensor] = {}

    def keep(epoch, head):
        seen[epoch] = bench.score_logits(head, feats)

    bench.train_head(3e-3, "sqrt", feats, y, 5, 8, [2, 6], keep)
    short: dict[int, torch.Tensor] = {}
    bench.train_head(3e-3, "sqrt", feats, y, 5, 8, [2], lambda e, h: short.update({e: bench.score_logits(h, feats)}))
    assert torch.equal(seen[2], short[2])
    assert not torch.equal(seen[2], seen[6])  # it went on learning after the checkpoint


def test_frozen_features_are_the_engines_own(bench, tiny_base_model, small_examples):
    import torch

    from core.ml.config import TrainConfig
    from core.ml.train import train

    feats, encoded = bench.encode_frozen(str(tiny_base_model), "markers", 96, small_examples)
    assert feats.shape == (len(small_examples), 64) and len(encoded) == len(small_examples)
    cfg = TrainConfig.for_engine("two-phase", base_model=str(tiny_base_model), epochs=(0, 1), device="cpu")
    model = train(cfg, small_examples, None).model  # the untouched encoder: the same features
    model.net.eval()
    with torch.inference_mode():
        batch = model.encoder.collate(model.encoder.encode_many([(e.sentence, e.start, e.end)
                                                                 for e in small_examples]))
        assert torch.allclose(model.net.features(batch), feats, atol=1e-5)
