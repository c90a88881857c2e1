"""pytest-qt runs the real widgets offscreen: no screen is needed (and without this it aborts)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def tiny_model(tiny_base_model: Path, small_examples: list, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained model folder on the 1-layer BERT: loads and predicts in milliseconds."""
    from core.ml.config import TrainConfig
    from core.ml.train import train

    cfg = TrainConfig(engine="two-phase", base_model=str(tiny_base_model), epochs=(1, 3), batch_size=8,
                      device="cpu", max_length=64)
    folder = tmp_path_factory.mktemp("tiny-model") / "model"
    train(cfg, small_examples[:18], small_examples[18:]).model.save(folder)
    return folder
