"""Model versions (register, activate = rollback, delete), stored predictions, training runs
and their recovery, and training / predicting from a project with a tiny real encoder; on
SQLite and on PostgreSQL (``store_url``)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.domain import Polarity, Prediction, TermExample
from core.storage import Project, SentenceFilter, StoreError
from core.ml.split import stratified_split

NEG, NEU, POS = Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE


@pytest.fixture
def project(store_url, small_examples):
    with Project.create(store_url) as p:
        p.import_examples(small_examples, source="small.tsv")
        p.import_examples([TermExample("The bread arrived cold.", 4, 9), TermExample("Nice lamps.", 5, 10)])
        yield p


def fake_model(project: Project, name: str, activate: bool = True):
    folder = project.models_dir / name
    folder.mkdir(parents=True)
    (folder / "model.json").write_text("{}")
    return project.register_model(folder, "two-phase", "bundled", {"seed": 1}, {"accuracy": 0.5}, 24, activate)


def test_register_activate_rollback_and_delete(project, tmp_path):
    v1 = fake_model(project, "a")
    assert v1.active and v1.folder == str(project.models_dir / "a") and v1.config == {"seed": 1}
    v2 = fake_model(project, "b")
    assert project.active_model().id == v2.id
    assert [m.active for m in project.models()] == [False, True]
    assert project.activate(v1.id).active and project.active_model().id == v1.id  # rollback
    with pytest.raises(StoreError, match="is active"):
        project.delete_model(v1.id)
    run = project.start_run({"x": 1})
    project.finish_run(run.id, "succeeded", model_version_id=v2.id)
    project.delete_model(v2.id)
    assert not (project.models_dir / "b").exists()
    assert [m.id for m in project.models()] == [v1.id]
    assert project.get_run(run.id).model_version_id is None
    v3 = fake_model(project, "c", activate=False)
    assert v3.id == v2.id + 1  # ids are never reused
    with pytest.raises(StoreError, match="no model version"):
        project.activate(v2.id)
    with pytest.raises(StoreError, match="does not exist"):
        project.register_model(tmp_path / "nowhere", "lora", "bundled", {}, {}, 0)


def test_activate_refuses_a_version_whose_folder_is_gone(project):
    v1 = fake_model(project, "a")
    fake_model(project, "b")
    (project.models_dir / "a" / "model.json").unlink()
    (project.models_dir / "a").rmdir()
    with pytest.raises(StoreError, match="is gone"):
        project.activate(v1.id)


def test_delete_never_removes_a_folder_outside_the_models_folder(project, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    v = project.register_model(outside, "two-phase", "bundled", {}, {}, 0, activate=False)
    assert v.folder == str(outside)
    project.delete_model(v.id)
    assert outside.is_dir()


def test_deleting_a_version_removes_its_predictions(project):
    v1 = fake_model(project, "a", activate=False)
    tid = project.unlabeled_terms()[0][0]
    project.store_predictions(v1.id, [(tid, Prediction(NEG, (0.6, 0.3, 0.1)))])
    assert [e.source for e in project.history(tid)] == ["model"]
    assert project.history(tid)[0].model_version_id == v1.id and project.history(tid)[0].confidence == 0.6
    project.delete_model(v1.id)
    assert project.history(tid) == []
    with pytest.raises(StoreError, match="no model version"):
        project.store_predictions(v1.id, [])


def test_runs_left_by_dead_processes_are_marked_failed_live_ones_are_not(tmp_path, project, store_url):
    live = project.start_run({"n": 1})  # this process, still running it
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        from sqlalchemy import update

        from core.storage.schema import TrainingRun

        other = project.start_run({"n": 2})
        dead = project.start_run({"n": 3})
        with project._write() as s:
            s.execute(update(TrainingRun).where(TrainingRun.id == other.id).values(pid=child.pid))
            s.execute(update(TrainingRun).where(TrainingRun.id == dead.id).values(pid=2**22 + 12345))
        partial = project.models_dir / ".v9.tmp-0123abcd"  # a model another run may be writing now
        partial.mkdir(parents=True)
        with Project.open(store_url) as again:  # e.g. a second window
            assert partial.is_dir(), "a live run's half-written model folder must be left alone"
            assert again.get_run(live.id).status == "running"
            assert again.get_run(other.id).status == "running"
            failed = again.get_run(dead.id)
            assert failed.status == "failed" and "interrupted" in failed.error and failed.finished_at
    finally:
        child.kill()
        child.wait()
    project.finish_run(live.id, "succeeded")
    with pytest.raises(ValueError):
        project.finish_run(live.id, "running")


def test_stratified_split_is_seeded_keeps_sentences_together_and_every_label(small_examples):
    examples = small_examples * 3
    examples = [TermExample(e.sentence + f" ({i})", e.start, e.end, e.polarity) for i, e in enumerate(examples)]
    train, dev = stratified_split(examples, 0.25, seed=3)
    assert stratified_split(examples, 0.25, seed=3) == (train, dev)
    assert stratified_split(examples, 0.25, seed=4) != (train, dev)
    assert sorted(map(repr, train + dev)) == sorted(map(repr, examples))
    for label in Polarity:
        n = sum(e.polarity is label for e in examples)
        assert sum(e.polarity is label for e in dev) == round(n * 0.25)
    pasta = [e for e in small_examples if e.sentence.startswith("The pasta")]
    train, dev = stratified_split(small_examples, 0.5, seed=0)
    assert all(e in dev for e in pasta) or all(e in train for e in pasta)
    assert stratified_split(small_examples, 0.0, 1) == (list(small_examples), [])
    one = [TermExample("a b", 0, 1, NEU), TermExample("c d", 0, 1, POS), TermExample("e f", 0, 1, POS)]
    assert [e.polarity for e in stratified_split(one, 0.5, 1)[1]] == [POS]  # a lone neutral stays in train


# -- training with a tiny real encoder ---------------------------------------------------------------


def tiny_cfg(base, **kw):
    from core.ml.config import TrainConfig

    return TrainConfig.for_engine(kw.pop("engine", "two-phase"), base_model=str(base), epochs=kw.pop("epochs", (1, 2)),
                                  batch_size=8, seed=1, device="cpu", **kw)


@pytest.mark.slow
def test_train_predict_retrain_and_roll_back(project, tiny_base_model, tmp_path, store_url):
    from core.ml.model import PolarityModel
    from core.ml.project_train import predict_project, train_project

    steps = []
    run, v1 = train_project(store_url, tiny_cfg(tiny_base_model), dev_fraction=0.25,
                            on_progress=lambda e: steps.append(e.step))
    assert run.status == "succeeded" and run.model_version_id == v1.id and run.finished_at >= run.started_at
    assert v1.active and Path(v1.folder).parent == project.models_dir and steps
    assert v1.n_labels == 24 and v1.metrics["n_dev"] + v1.metrics["n_train"] == 24 and "accuracy" in v1.metrics
    assert not [p for p in project.models_dir.iterdir() if p.name.startswith(".")]  # no temp folder left
    PolarityModel.load(v1.folder, device="cpu")

    assert predict_project(store_url, device="cpu") == 2
    bread = project.page(SentenceFilter("unlabeled", text="bread"))[0].terms[0]
    assert bread.predicted is not None and bread.probabilities is not None
    assert project.count(SentenceFilter("least_confident")) == 2

    dev = tmp_path / "dev.jsonl"
    from core.formats import write_examples
    from core.ml.config import TrainConfig

    write_examples(dev, project.labeled_examples()[:6])
    run2, v2 = train_project(store_url, tiny_cfg(tiny_base_model, engine="lora", epochs=(1, 0)), dev_file=dev)
    assert v2.active and v2.engine == "lora" and v2.metrics["n_dev"] == 6 and v2.metrics["dev"] == "dev.jsonl"
    assert v2.metrics["previous"]["model_version_id"] == v1.id and "accuracy" in v2.metrics["previous"]
    assert TrainConfig.from_dict(v2.config).engine == "lora"
    assert project.get_term(bread.id).predicted is None  # v2 has predicted nothing yet
    project.activate(v1.id)  # roll back: v1's predictions are shown again
    assert project.get_term(bread.id).predicted == bread.predicted


@pytest.mark.slow
def test_cancelled_and_failed_runs_leave_the_active_model_alone(project, tiny_base_model, store_url):
    from core.ml.base_models import BaseModelError
    from core.ml.project_train import train_project

    _, v1 = train_project(store_url, tiny_cfg(tiny_base_model))
    run, version = train_project(store_url, tiny_cfg(tiny_base_model), should_stop=lambda: True)
    assert (run.status, version) == ("cancelled", None)
    with pytest.raises(BaseModelError):
        train_project(store_url, tiny_cfg(project.project_dir / "no-such-model"))
    failed = project.runs()[0]
    assert failed.status == "failed" and "no-such-model" in failed.error
    assert project.active_model().id == v1.id and len(project.models()) == 1
    assert len(list(project.models_dir.iterdir())) == 1


def test_training_needs_enough_labels(tmp_path, small_examples):
    from core.ml.config import TrainConfig
    from core.ml.project_train import train_project

    with Project.create(tmp_path / "few.db") as p:
        p.import_examples(small_examples[:5])
    with pytest.raises(StoreError, match="only 5 labeled terms"):
        train_project(tmp_path / "few.db", TrainConfig())
    with Project.open(tmp_path / "few.db") as p:
        assert p.runs()[0].status == "failed"


@pytest.mark.slow
def test_training_in_a_worker_thread_while_the_gui_labels(project, tiny_base_model, store_url):
    """The worker opens its own connection and reads one snapshot; labels written meanwhile land."""
    from core.ml.project_train import train_project

    out: dict = {}
    started, labeled = threading.Event(), threading.Event()

    def progress(event):
        started.set()
        assert labeled.wait(60)  # training holds here until the "GUI" has written its labels

    def worker():
        try:
            out["result"] = train_project(store_url, tiny_cfg(tiny_base_model), on_progress=progress)
        except BaseException as exc:  # pragma: no cover - reported below
            out["error"] = exc
            started.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert started.wait(120)
    tid = project.unlabeled_terms()[0][0]
    written = [project.set_label(tid, label).id for label in (NEG, POS, NEU) * 5]
    labeled.set()
    thread.join(300)
    assert "error" not in out and out["result"][0].status == "succeeded"
    assert out["result"][1].n_labels == 24  # the snapshot, not the labels added meanwhile
    assert [e.id for e in project.history(tid)][-len(written):] == written
    assert project.get_term(tid).label is NEU
