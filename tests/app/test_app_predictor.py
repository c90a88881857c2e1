"""The predictor service on its own thread: load, answer by signal, cache per model version,
store predictions for every term of the active version in the background, fail politely."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.predictor_service import PredictionService, model_ref_for, starter_ref
from app.services.project_service import create_project
from core.storage import Project, SentenceFilter

pytestmark = pytest.mark.slow


@pytest.fixture
def service(qtbot):
    svc = PredictionService()
    yield svc
    assert svc.shutdown(10000)


def test_predicts_by_signal_then_from_the_cache(qtbot, service: PredictionService, tiny_model: Path) -> None:
    sentence = "The soup was cold but the bread was warm."
    assert service.request(sentence, 4, 8) is None and service.state == "none"  # no model: nothing asked
    with qtbot.waitSignal(service.state_changed, timeout=30000, check_params_cb=lambda s, _m: s == "ready"):
        service.set_model(starter_ref(tiny_model, "cpu"))
    with qtbot.waitSignal(service.prediction, timeout=5000) as blocker:
        assert service.request(sentence, 4, 8) is None
    key, pred = blocker.args
    assert (key.sentence, key.start, key.end) == (sentence, 4, 8)
    assert abs(sum(pred.probabilities) - 1) < 1e-4
    assert service.request(sentence, 4, 8) == pred  # answered from the cache, no round trip


def test_cache_is_per_model_version(qtbot, service: PredictionService, tiny_model: Path, tmp_path: Path,
                                    small_tsv: Path) -> None:
    path = create_project(tmp_path / "p.db", tiny_model)
    with Project.open(path) as store:
        store.import_file(small_tsv)
        sentence = store.add_sentence("The coffee was lukewarm.")
        store.add_term(sentence.id, 4, 10)
        version = store.active_model()
    starter = starter_ref(tiny_model, "cpu")
    with qtbot.waitSignal(service.state_changed, timeout=30000, check_params_cb=lambda s, _m: s == "ready"):
        service.set_model(starter)
    with qtbot.waitSignal(service.prediction, timeout=5000):
        service.request("The coffee was lukewarm.", 4, 10)
    assert service.cached("The coffee was lukewarm.", 4, 10) is not None
    ref = model_ref_for(version, str(path), "cpu")
    with qtbot.waitSignal(service.scoring_finished, timeout=60000):
        service.set_model(ref, str(path))
    assert service.model == ref and service.cached("The coffee was lukewarm.", 4, 10) is None
    with Project.open(path) as store:
        terms = [t for rec in store.page(SentenceFilter(), limit=1000) for t in rec.terms]
        assert terms and all(t.predicted is not None and t.probabilities is not None for t in terms)
        assert store.count(SentenceFilter("least_confident")) == 1  # the one unlabeled term, ranked


def test_a_broken_model_folder_is_reported_not_fatal(qtbot, service: PredictionService, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.json").write_text("{not json", encoding="utf-8")
    with qtbot.waitSignal(service.state_changed, timeout=30000, check_params_cb=lambda s, _m: s == "failed"):
        service.set_model(starter_ref(broken, "cpu"))
    assert "broken" in service.message
    assert service.request("Any sentence here.", 0, 3) is None
