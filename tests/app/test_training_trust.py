"""Issue 12 in the window: the new version is compared honestly and used only when kept.

Trained through the real window on a real project file with the tiny model: until Keep the new
version is inactive and no prediction of it is stored; Keep activates it and the project is
rescored by it; closing the window without choosing leaves the previous version in use. The
result panel shows each accuracy with its n and 95 % interval, a verdict in words, and the
reliability diagram of the dev predictions.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from app.controllers.training_controller import comparison_text
from app.main import build
from app_helpers import show_window
from core.ml.compare import Scored, verdict, wilson_interval
from core.storage import Project

pytestmark = pytest.mark.slow
INTERVAL = re.compile(r"^\d+\.\d %\s\(n = (\d+), 95 %: (\d+\.\d)–(\d+\.\d) %\)$")


def model_rows(project_file: Path, version_id: int) -> int:
    """Stored predictions of one version (label history rows written by the model)."""
    with sqlite3.connect(project_file) as db:
        return db.execute("SELECT count(*) FROM labels WHERE source = 'model' AND model_version_id = ?",
                          (version_id,)).fetchone()[0]


def train_in_window(qtbot, window, controller) -> None:  # type: ignore[no-untyped-def]
    window.actions["retrain"].trigger()
    qtbot.waitUntil(lambda: controller.training.outcome is not None, timeout=60000)
    assert controller.training.outcome == "finished"


def test_new_version_is_used_and_rescores_only_on_keep(qtbot, app, project_file: Path) -> None:
    window, controller = app
    panel = window.training_panel
    train_in_window(qtbot, window, controller)
    new = controller.training.pending
    with Project.open(project_file) as store:
        assert store.active_model().id == 1 and not store.get_model(new.id).active
    qtbot.wait(300)  # give a (wrong) rescoring the chance to start
    assert model_rows(project_file, new.id) == 0 and "v1" in controller.predictor.model.name
    assert "v1 keeps predicting" in panel.pending_text() and "Closing" in panel.pending_text()
    with qtbot.waitSignal(controller.predictor.scoring_finished, timeout=60000):
        panel.keep_button.click()
    with Project.open(project_file) as store:
        assert store.active_model().id == new.id
        unlabeled = len(store.unlabeled_terms())
    assert unlabeled > 0 and model_rows(project_file, new.id) >= unlabeled  # every term, labeled ones too
    assert f"v{new.id}" in controller.predictor.model.name and not panel.result_box.isVisible()


def test_the_result_shows_intervals_a_verdict_and_the_reliability_diagram(qtbot, app, project_file: Path,
                                                                          tmp_path: Path) -> None:
    window, controller = app
    panel = window.training_panel
    train_in_window(qtbot, window, controller)
    m = controller.training.pending.metrics
    new_text, old_text = panel.metric_text("new", "accuracy"), panel.metric_text("previous", "accuracy")
    for text in (new_text, old_text):
        match = INTERVAL.match(text)
        assert match, text
        assert int(match.group(1)) == m["n_dev"]  # both on the same dev split
        assert float(match.group(2)) <= float(text.split(" %")[0]) <= float(match.group(3))
    # The tiny dev split cannot tell two versions apart: the panel says so in words.
    assert "too few to tell" in panel.verdict_text() or "intervals do not overlap" in panel.verdict_text()
    bins = panel.reliability.bins()
    assert sum(b["n"] for b in bins) == m["n_dev"] and f"{m['ece']:.3f}" in panel.reliability._title
    window.show_tab("training")
    shot = tmp_path / "result.png"
    assert panel.reliability.isVisible() and panel.grab().save(str(shot))
    image = panel.reliability.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)}
    assert len(colours) > 8, "the diagram paints bars, axes and a diagonal, not an empty card"


def test_closing_without_choosing_keeps_the_previous_version(qtbot, ctx, project_file: Path) -> None:
    window, controller = build(ctx)
    qtbot.addWidget(window)
    show_window(qtbot, window)
    assert controller.open_path(project_file)
    qtbot.waitUntil(lambda: controller.predictor.state == "ready", timeout=30000)
    train_in_window(qtbot, window, controller)
    new_id = controller.training.pending.id
    window.close()
    with Project.open(project_file) as store:
        assert store.active_model().id == 1 and not store.get_model(new_id).active
    assert model_rows(project_file, new_id) == 0


def test_roll_back_before_keep_leaves_the_new_version_unused(qtbot, app, project_file: Path) -> None:
    window, controller = app
    train_in_window(qtbot, window, controller)
    new_id = controller.training.pending.id
    window.training_panel.rollback_button.click()
    assert controller.training.pending is None and "not in use" in window.training_panel.phase_label.text()
    with Project.open(project_file) as store:
        assert store.active_model().id == 1 and not store.get_model(new_id).active
    assert window.models_panel.table.rowCount() == 2  # still there, to use later from the Models tab


def test_wilson_interval_and_verdicts() -> None:
    low, high = wilson_interval(37, 45)  # 82.2 % of 45: about 68.7-90.7 %, computed by hand
    assert abs(low - 0.6866) < 1e-3 and abs(high - 0.9070) < 1e-3
    assert wilson_interval(0, 0) == (0.0, 1.0) and abs(wilson_interval(10, 10)[1] - 1.0) < 1e-9
    small = verdict(Scored.of(0.822, 45), Scored.of(0.787, 45), "v2", "v1")
    assert "too few to tell v2 and v1 apart" in small
    big = verdict(Scored.of(0.90, 2000), Scored.of(0.80, 2000), "v2", "v1")
    assert big.startswith("v2 is better than v1")
    assert "could not be scored" in comparison_text({"accuracy": 0.8, "n_dev": 40}, {"error": "gone"}, 2,
                                                    type("V", (), {"id": 1})())
