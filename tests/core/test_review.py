"""Adjudication and bulk review of confident predictions, on SQLite and PostgreSQL: the reviewer's
label wins in the training snapshot and the export; a bulk accept is one batch that one undo takes
back; everything is new rows in the append-only history."""

from __future__ import annotations

import csv
import json

import pytest

from core.cli import main
from core.domain import Polarity, Prediction, TermExample
from core.storage import Project, SentenceFilter, StoreError

NEG, NEU, POS = Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE


def _project(location, n: int = 6) -> tuple[Project, list[int]]:
    project = Project.create(location, author="lead")
    project.import_examples([TermExample(f"Room {i} was clean.", 0, 6) for i in range(n)], source="t.tsv")
    return project, [t.id for s in project.page(limit=50) for t in s.terms]


def _with_predictions(project: Project, tmp_path, ids: list[int], confidences: list[float],
                      labels: list[Polarity]) -> int:
    """Register a model version and store its predictions (label, confidence) for ``ids``."""
    folder = tmp_path / "m1"
    folder.mkdir(exist_ok=True)
    version = project.register_model(folder, "two-phase", "bundled", {}, {}, 0)
    preds = []
    for term, conf, label in zip(ids, confidences, labels):
        rest = (1.0 - conf) / 2
        preds.append((term, Prediction(label, tuple(conf if p is label else rest for p in (NEG, NEU, POS)))))
    project.store_predictions(version.id, preds)
    return version.id


def test_adjudication_wins_in_the_training_snapshot_and_the_export(store_url, tmp_path):
    project, ids = _project(store_url, 3)
    with project:
        project.set_label(ids[0], POS, author="anna")
        project.set_label(ids[0], NEG, author="bob")
        project.set_label(ids[1], NEU, author="anna")
        with pytest.raises(StoreError, match="rita is not a reviewer"):
            project.adjudicate(ids[0], POS, author="rita")
        assert project.update_reviewers(add=["rita", "sam"], remove=["sam"]) == ["rita"]
        event = project.adjudicate(ids[0], POS, author="rita")
        assert (event.source, event.author, event.polarity) == ("adjudication", "rita", POS)
        project.set_label(ids[0], NEG, author="bob")  # bob insists after the verdict: the newest label ...
        assert project.get_term(ids[0]).label is NEG  # ... is current, but training takes the reviewer's
        assert [e.polarity for e in project.labeled_examples()] == [POS, NEU]
        review = project.annotator_labels(ids[0])
        assert review.disagree and (review.adjudicated, review.adjudicated_by, review.final) == (POS, "rita", POS)
        assert review.current is NEG
        out = tmp_path / "final.jsonl"
        assert project.export_file(out) == 2
        assert [json.loads(line)["label"] for line in out.read_text().splitlines()] == ["positive", "neutral"]
        with pytest.raises(StoreError, match="needs a label"):
            project.adjudicate(ids[0], None, author="rita")  # type: ignore[arg-type]
        project.adjudicate(ids[0], NEU, author="rita")  # a new verdict: the newest adjudication counts
        assert [e.polarity for e in project.labeled_examples()] == [NEU, NEU]
        sources = [e.source for e in project.history(ids[0])]
        assert sources == ["human", "human", "adjudication", "human", "adjudication"]


def test_export_with_every_annotator_s_label(store_url, tmp_path, capsys):
    project, ids = _project(store_url, 2)
    with project:
        project.set_label(ids[0], POS, author="anna")
        project.set_label(ids[0], NEG, author="bob")
        project.set_label(ids[1], NEU, author="bob")
    jsonl = tmp_path / "all.jsonl"
    assert main(["project", "export", str(store_url), str(jsonl), "--all-annotators"]) == 0
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [(r["label"], r["annotators"]) for r in rows] == [("negative", {"anna": "positive", "bob": "negative"}),
                                                             ("neutral", {"anna": None, "bob": "neutral"})]
    table = tmp_path / "all.csv"
    assert main(["project", "export", str(store_url), str(table), "--all-annotators"]) == 0
    with table.open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    assert [(r["label"], r["label_anna"], r["label_bob"]) for r in records] == [("negative", "positive", "negative"),
                                                                              ("neutral", "", "neutral")]
    capsys.readouterr()
    assert main(["project", "export", str(store_url), str(tmp_path / "all.tsv"), "--all-annotators"]) == 2
    assert "JSONL or CSV" in capsys.readouterr().err and not (tmp_path / "all.tsv").exists()


def test_a_bulk_accept_and_its_single_undo(store_url, tmp_path):
    project, ids = _project(store_url, 6)
    with project:
        project.set_label(ids[5], NEU, author="anna")  # labeled already: never accepted
        version = _with_predictions(project, tmp_path, ids, [0.99, 0.96, 0.95, 0.94, 0.5, 0.99],
                                    [POS, NEG, POS, POS, NEG, POS])
        dry = project.accept_predictions(0.95, author="lead", dry_run=True)
        assert (dry.accepted, dry.per_label, dry.batch_id) == (3, {"negative": 1, "neutral": 0, "positive": 2}, None)
        assert project.count(SentenceFilter("unlabeled")) == 5  # a dry run writes nothing
        done = project.accept_predictions(0.95, author="lead")
        assert done.accepted == 3 and done.batch_id is not None and done.model_version_id == version
        assert [project.get_term(t).label for t in ids[:4]] == [POS, NEG, POS, None]
        accepted = project.history(ids[0], include_model=False)[-1]
        assert (accepted.source, accepted.model_version_id, accepted.author) == ("accepted-prediction", version, "lead")
        assert project.source_counts() == {"accepted-prediction": 3, "human": 1}
        assert project.count(SentenceFilter("accepted")) == 3
        assert project.count(SentenceFilter("accepted", label=NEG)) == 1
        assert len(project.labeled_examples()) == 4
        assert [e.polarity for e in project.labeled_examples(include_accepted=False)] == [NEU]
        project.set_setting("training.include_accepted", False)
        assert len(project.labeled_examples()) == 1
        assert project.undo(ids[0]) is None  # a person's undo never reaches into the batch
        project.set_label(ids[1], POS, author="anna")  # labeled after the accept: kept by the undo
        undo = project.undo_accept()
        assert (undo.batch_id, undo.undone, undo.kept) == (done.batch_id, 2, 1)
        assert [project.get_term(t).label for t in ids[:3]] == [None, POS, None]
        assert [e.action for e in project.history(ids[0], include_model=False)] == ["set", "undo"]
        (batch,) = project.review_batches()
        assert (batch.accepted, batch.undone, batch.min_confidence) == (3, True, 0.95)
        with pytest.raises(StoreError, match="no bulk accept to undo"):
            project.undo_accept()
        with pytest.raises(StoreError, match="undone already"):
            project.undo_accept(done.batch_id)


def test_accept_needs_an_active_model_and_a_confidence_in_range(store_url):
    project, _ids = _project(store_url, 1)
    with project:
        with pytest.raises(StoreError, match="no active model"):
            project.accept_predictions(0.9)
        with pytest.raises(StoreError, match="at most 1"):
            project.accept_predictions(95)


def test_accept_from_the_cli_dry_run_then_accept_then_undo(store_url, tmp_path, capsys):
    project, ids = _project(store_url, 3)
    with project:
        _with_predictions(project, tmp_path, ids, [0.97, 0.99, 0.6], [NEG, POS, POS])
    assert main(["project", "accept", str(store_url), "--min-confidence", "0.95", "--dry-run"]) == 0
    assert "would accept 2 predictions" in capsys.readouterr().out
    assert main(["project", "accept", str(store_url), "--min-confidence", "0.95", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["accepted"] == 2 and data["per_label"] == {"negative": 1, "neutral": 0, "positive": 1}
    assert main(["project", "accept", str(store_url), "--undo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"batch": data["batch"], "undone": 2, "kept": 0}
    assert main(["project", "accept", str(store_url), "--undo"]) == 2
    assert capsys.readouterr().err.strip() == "polarity: error: no bulk accept to undo"
    assert main(["project", "accept", str(store_url), "--min-confidence", "0.95"]) == 0
    assert main(["project", "accept", str(store_url), "--training", "exclude"]) == 0
    with Project.open(store_url) as p:
        assert p.labeled_examples() == [] and len(p.labeled_examples(include_accepted=True)) == 2


def test_adjudicate_and_reviewers_from_the_cli(store_url, capsys):
    project, ids = _project(store_url, 1)
    with project:
        project.set_label(ids[0], POS, author="anna")
        project.set_label(ids[0], NEG, author="bob")
    assert main(["project", "adjudicate", str(store_url), str(ids[0]), "neutral", "--author", "rita"]) == 2
    assert "not a reviewer" in capsys.readouterr().err
    assert main(["project", "reviewers", str(store_url), "--add", "rita", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"reviewers": ["rita"]}
    assert main(["project", "adjudicate", str(store_url), str(ids[0]), "neu", "--author", "rita", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "neutral"
    with Project.open(store_url) as p:
        assert p.labeled_examples()[0].polarity is NEU


def test_accepting_the_stored_predictions_of_a_trained_model(tmp_path, capsys, small_tsv, tiny_base_model):
    db = tmp_path / "p.db"
    assert main(["project", "init", str(db)]) == 0
    assert main(["project", "import", str(db), str(small_tsv)]) == 0
    new = tmp_path / "new.jsonl"
    new.write_text("".join(json.dumps({"text": f"The {w} was {a}.", "start": 4, "end": 4 + len(w)}) + "\n"
                           for w, a in (("bread", "stale"), ("waiter", "kind"), ("soup", "fine"), ("bill", "high"))),
                   encoding="utf-8")
    assert main(["project", "import", str(db), str(new)]) == 0
    assert main(["project", "train", str(db), "--base-model", str(tiny_base_model), "--epochs", "1", "--head-epochs",
                 "2", "--batch-size", "8", "--device", "cpu", "--json"]) == 0
    assert main(["project", "predict", str(db), "--device", "cpu", "--json"]) == 0
    capsys.readouterr()
    with Project.open(db) as p:
        unlabeled = [t for s in p.page(SentenceFilter("unlabeled"), limit=10) for t in s.terms if t.label is None]
        threshold = sorted(t.confidence for t in unlabeled)[len(unlabeled) // 2]
        expected = {t.id: t.predicted for t in unlabeled if t.confidence >= threshold}
        active = p.active_model().id
    assert main(["project", "accept", str(db), "--min-confidence", str(threshold), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["accepted"] == len(expected) >= 1 and data["model_version_id"] == active
    with Project.open(db) as p:
        for term_id, predicted in expected.items():
            term = p.get_term(term_id)
            assert (term.label, term.label_source) == (predicted, "accepted-prediction")
            assert p.history(term_id, include_model=False)[-1].model_version_id == active
        assert len(p.labeled_examples(include_accepted=False)) == 24  # the file's labels only
        assert p.undo_accept().undone == len(expected)
        assert p.count(SentenceFilter("unlabeled")) == 4
