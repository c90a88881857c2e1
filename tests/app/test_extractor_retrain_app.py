"""Retrain in the window also updates the term extractor once enough sentences are fully annotated:
the progress names the extractor phase, the result says it was updated and its F1, and the
project then uses its own extractor."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.views.training_panel import describe_progress
from core.ml.terms.retrain import ExtractorRetrainConfig, extractor_folder_for, project_extractor_folder
from core.storage import Project

pytestmark = pytest.mark.slow


@pytest.fixture
def annotated(project_file: Path, monkeypatch, tmp_path: Path) -> Path:
    """Every sentence of the small project marked "all terms done", plus term-free ones, to the
    threshold; and no starter extractor, so the project's first one has nothing to beat."""
    import core.ml.terms.retrain as retrain

    monkeypatch.setattr(retrain, "starter_extractor_dir", lambda: tmp_path / "no-starter-extractor")
    with Project.open(project_file) as store:
        for s in store.page(limit=1000):
            store.set_terms_done(s.id)
        for i in range(ExtractorRetrainConfig().min_sentences - store.count()):
            store.set_terms_done(store.add_sentence(f"We stayed for {i + 2} nights in March.").id)
    return project_file


def test_retrain_updates_the_extractor_and_says_so(qtbot, app, annotated: Path, monkeypatch) -> None:
    window, controller = app
    panel = window.training_panel
    shown: list[str] = []
    original = panel.show_progress

    def record(event) -> None:  # type: ignore[no-untyped-def]
        shown.append(describe_progress(event))
        original(event)

    monkeypatch.setattr(panel, "show_progress", record)
    window.actions["retrain"].trigger()
    qtbot.waitUntil(lambda: controller.training.outcome is not None, timeout=120000)
    assert controller.training.outcome == "finished"
    assert any(t.startswith("Training the term extractor · epoch 1/") for t in shown)
    text = panel.extractor_text()
    assert text.startswith("Term extractor updated: dev F1 ") and "It suggests terms from now on" in text
    assert panel.extractor_label.isVisible()
    with Project.open(annotated) as store:
        own = project_extractor_folder(store)
        assert own is not None and extractor_folder_for(store) == own
        assert f"{store.project_extractor().metrics['dev_f1']:.3f}" in text
