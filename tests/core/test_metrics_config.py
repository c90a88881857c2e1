from __future__ import annotations

import pytest

from core.domain import Polarity
from core.ml.config import TrainConfig
from core.ml.metrics import evaluate

N, U, P = Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE


def test_metrics_by_hand():
    gold = [P, P, P, N, N, U]
    pred = [P, P, N, N, P, P]
    m = evaluate(gold, pred)
    assert m["accuracy"] == pytest.approx(3 / 6, abs=1e-4)
    assert m["confusion"] == [[1, 0, 1], [0, 0, 1], [1, 0, 2]]
    assert m["per_class"]["positive"]["precision"] == pytest.approx(0.5)
    assert m["per_class"]["positive"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["per_class"]["neutral"]["f1"] == 0.0
    f1_pos = 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3)
    assert m["macro_f1"] == pytest.approx((0.5 + 0.0 + f1_pos) / 3, abs=1e-3)


def test_config_round_trip_and_validation():
    cfg = TrainConfig.for_engine("lora", lora_rank=4, epochs=(2, 0))
    again = TrainConfig.from_dict(cfg.to_dict() | {"from_the_future": 1})
    assert again == cfg and again.epochs == (2, 0) and isinstance(again.lora_targets, tuple)
    with pytest.raises(ValueError, match="engine"):
        TrainConfig(engine="magic")
    with pytest.raises(ValueError, match="epoch"):
        TrainConfig(epochs=(0, 0))
