"""The "accepted" filter after an undo: the terms are unlabeled again, so they no longer match
(the undo rows keep the source accepted-prediction on the term's cache)."""

from __future__ import annotations

from core.domain import Polarity, Prediction, TermExample
from core.storage import Project, SentenceFilter


def test_an_undone_accept_leaves_the_accepted_filter(store_url, tmp_path) -> None:
    project = Project.create(store_url, author="lead")
    project.import_examples([TermExample(f"Room {i} was clean.", 0, 6) for i in range(3)], source="t.tsv")
    ids = [t.id for s in project.page(limit=50) for t in s.terms]
    folder = tmp_path / "m1"
    folder.mkdir()
    version = project.register_model(folder, "two-phase", "bundled", {}, {}, 0)
    project.store_predictions(version.id, [(t, Prediction(Polarity.POSITIVE, (0.01, 0.01, 0.98))) for t in ids[:2]])
    project.accept_predictions(0.95)
    assert project.count(SentenceFilter("accepted")) == 2
    project.undo_accept()
    assert project.count(SentenceFilter("accepted")) == 0
    assert project.count(SentenceFilter("unlabeled")) == 3
    project.close()
