"""A project retrain also fits the term extractor once enough sentences are fully annotated
(core/ml/terms/retrain.py): below the threshold nothing is trained; above it the extractor is
saved, registered and used by `project suggest`; a worse one never replaces the one in use; a
cancel in the extractor phase leaves the previous extractor and no half-written folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from core.ml.events import EXTRACTOR
from core.ml.terms.retrain import ExtractorRetrainConfig, extractor_folder_for, project_extractor_folder, split_annotated
from core.storage import Project

pytestmark = pytest.mark.slow


def tiny_cfg(base: Path):
    from core.ml.config import TrainConfig

    return TrainConfig.for_engine("two-phase", base_model=str(base), epochs=(1, 2), batch_size=8, seed=1, device="cpu")


@pytest.fixture
def db(tmp_path: Path, small_tsv: Path) -> Path:
    """23 sentences with their terms, every one marked "all terms done", and 24 labels."""
    path = tmp_path / "p.db"
    with Project.create(path) as p:
        p.import_file(small_tsv)
        for s in p.page(limit=1000):
            p.set_terms_done(s.id)
    return path


@pytest.fixture
def no_starter(monkeypatch, tmp_path):
    """An installation without the starter extractor: the first project extractor has nothing to beat."""
    import core.ml.terms.retrain as retrain

    monkeypatch.setattr(retrain, "starter_extractor_dir", lambda: tmp_path / "no-starter-extractor")


def leftovers(db: Path) -> list[str]:
    """Temporary folders of an interrupted save, and extractor folders the project does not use."""
    with Project.open(db) as p:
        own, models_dir = project_extractor_folder(p), p.models_dir
    return sorted(f.name for f in models_dir.iterdir() if f.name.startswith(".")
                  or (f.name.startswith("extractor-") and (own is None or f.resolve() != own.resolve())))


def test_below_the_threshold_no_extractor_is_trained(db, tiny_base_model):
    from core.ml.project_train import train_project

    phases = []
    run, version = train_project(db, tiny_cfg(tiny_base_model), on_progress=lambda e: phases.append(e.phase),
                                 extractor=ExtractorRetrainConfig(min_sentences=24))
    assert run.status == "succeeded" and version is not None
    e = run.metrics["extractor"]
    assert (e["trained"], e["updated"], e["n_annotated"], e["min_sentences"]) == (False, False, 23, 24)
    assert "retrains from 24" in e["reason"] and EXTRACTOR not in phases
    with Project.open(db) as p:
        assert project_extractor_folder(p) is None
        assert "extractor" not in version.metrics  # the polarity model's metrics are unchanged
        assert not [f for f in p.models_dir.iterdir() if f.name.startswith("extractor-")]


def test_above_the_threshold_the_extractor_is_saved_registered_and_suggest_uses_it(db, tiny_base_model, no_starter,
                                                                                  capsys):
    assert main(["project", "train", str(db), "--base-model", str(tiny_base_model), "--device", "cpu",
                 "--epochs", "1", "--head-epochs", "2", "--extractor-min-sentences", "20", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"run", "model", "extractor"} <= set(out) and out["model"]["active"]
    e = out["extractor"]
    assert e["trained"] and e["updated"] and e["previous"] == {"kind": None}
    assert e["n_train"] + e["n_dev"] == 23 and e["n_dev"] >= 10 and 0.0 <= e["dev_f1"] <= 1.0
    assert e["dev_f1"] == e["dev"]["f1"]
    with Project.open(db) as p:
        folder = project_extractor_folder(p)
        assert folder is not None and str(folder) == e["folder"] and extractor_folder_for(p) == folder
        assert p.project_extractor().metrics["dev_f1"] == e["dev_f1"]
        assert p.get_run(out["run"]["id"]).metrics["extractor"]["folder"] == e["folder"]
    info = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert info["model_type"] == "term_extractor" and info["base_model"] == str(tiny_base_model)
    assert leftovers(db) == []

    assert main(["project", "suggest", str(db), "--no-polarity", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["extractor"] == str(folder) and report["sentences"] == 23


def test_a_new_extractor_that_scores_below_the_one_in_use_is_not_kept(db, tiny_base_model):
    """The real starter (the bundled MiniLM, trained on SemEval) beats a 1-layer random encoder."""
    from core.ml.project_train import train_project
    from core.ml.terms.retrain import starter_extractor_dir

    if not starter_extractor_dir().is_dir():
        pytest.skip("no starter extractor in resources/ (rebuild it with make starter-extractor)")
    run, _ = train_project(db, tiny_cfg(tiny_base_model), extractor=ExtractorRetrainConfig(min_sentences=20))
    e = run.metrics["extractor"]
    assert e["trained"] and not e["updated"] and e["previous"]["kind"] == "starter"
    assert e["dev_f1"] < e["previous"]["f1"] and "starter one stays" in e["reason"]
    with Project.open(db) as p:
        assert project_extractor_folder(p) is None and extractor_folder_for(p) == starter_extractor_dir()
    assert leftovers(db) == []


def test_cancel_in_the_extractor_phase_keeps_the_previous_extractor(db, tiny_base_model, no_starter):
    from core.ml.project_train import train_project

    cfg = ExtractorRetrainConfig(min_sentences=20)
    first, _ = train_project(db, tiny_cfg(tiny_base_model), extractor=cfg)
    previous = first.metrics["extractor"]["folder"]
    with Project.open(db) as p:
        versions = len(p.models())
    seen: list = []

    def stop() -> bool:  # once the extractor has trained a batch: mid-epoch, nothing saved yet
        return any(ev.phase == EXTRACTOR and ev.loss is not None for ev in seen)

    run, version = train_project(db, tiny_cfg(tiny_base_model), extractor=cfg, on_progress=seen.append,
                                 should_stop=stop)
    assert (run.status, version) == ("cancelled", None)
    with Project.open(db) as p:
        assert str(project_extractor_folder(p)) == previous and len(p.models()) == versions
        models = p.models_dir
    assert leftovers(db) == [] and not list(models.glob(f"run{run.id}-*"))


def test_the_held_out_slice_is_the_same_whatever_the_order():
    from core.ml.terms.data import AnnotatedSentence

    data = [AnnotatedSentence(f"Sentence number {i} about the food.", ()) for i in range(60)]
    cfg = ExtractorRetrainConfig()
    train, dev = split_annotated(data, cfg)
    _, dev_reversed = split_annotated(list(reversed(data)), cfg)
    assert {s.text for s in dev} == {s.text for s in dev_reversed} and len(train) + len(dev) == 60
    assert len(dev) >= cfg.min_dev and not {s.text for s in dev} & {s.text for s in train}


def test_the_result_in_words_and_a_bad_threshold(db, capsys):
    from core.ml.terms.retrain import describe_extractor_result

    assert describe_extractor_result(None) == "Term extractor: not retrained."
    assert describe_extractor_result({"updated": True, "dev_f1": 0.8123, "n_dev": 12, "n_train": 48}) == (
        "Term extractor updated: dev F1 0.812 on 12 held-out sentences (trained on 48).")
    kept = describe_extractor_result({"updated": False, "dev_f1": 0.5, "reason": "the starter one stays"})
    assert kept == "Term extractor not updated (dev F1 0.500): the starter one stays."
    assert main(["project", "train", str(db), "--extractor-min-sentences", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
    with Project.open(db) as p:
        assert p.runs() == [] and p.models() == []  # refused before anything ran
