"""pytest-qt runs the real widgets offscreen: no screen is needed (and without this it aborts).

The window tests share one trained tiny model (trained once per session), a context, a project
and the running app (``app``: the window and its controllers with the project open).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))  # app_helpers, shared by the window tests


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


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def ctx(tmp_path: Path, ini: Path, tiny_model: Path, tiny_base_model: Path):  # type: ignore[no-untyped-def]
    from app.context import AppContext
    from app_helpers import make_settings

    return AppContext.create(tmp_path / "data", make_settings(ini, tiny_base_model), tiny_model)


@pytest.fixture
def project_file(tmp_path: Path, small_tsv: Path, tiny_model: Path) -> Path:
    from app_helpers import make_project

    return make_project(tmp_path / "reviews.db", small_tsv, tiny_model)


@pytest.fixture
def app(qtbot, ctx, project_file: Path):  # type: ignore[no-untyped-def]
    """The window with ``project_file`` open and its model loaded."""
    from app.main import build
    from app_helpers import show_window

    window, controller = build(ctx)
    qtbot.addWidget(window)
    show_window(qtbot, window)
    assert controller.open_path(project_file)
    qtbot.waitUntil(lambda: controller.predictor.state == "ready", timeout=30000)
    yield window, controller
    window.close()
