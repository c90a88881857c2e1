"""The project store: opening, terms, the append-only label history with undo/redo, the app's
page/filter/count queries, statistics and settings, on a real SQLite file and on PostgreSQL
(``store_url``, tests/core/conftest.py)."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from core.domain import Polarity, Prediction, TermExample
from core.storage import NotAProjectError, Project, SentenceFilter, StoreError

NEG, NEU, POS = Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE


def ex(sentence: str, term: str, polarity: Polarity | None = None, category: str = "", sid: str | None = None):
    start = sentence.index(term)
    return TermExample(sentence, start, start + len(term), polarity, category, sid)


ROWS = [
    ex("The pasta was great but the service was slow.", "pasta", POS),
    ex("The pasta was great but the service was slow.", "service", NEG),
    ex("We ordered a salad.", "salad", NEU),
    ex("The battery dies within an hour.", "battery", None),
    ex("Lovely terrace and friendly staff.", "terrace", None),
    ex("Lovely terrace and friendly staff.", "staff", POS),
]


@pytest.fixture
def project(store_url):
    with Project.create(store_url) as p:
        p.import_examples(ROWS, source="rows.tsv")
        yield p


def term_id(p: Project, text: str) -> int:
    for s in p.page(SentenceFilter(), 0, 100):
        for t in s.terms:
            if t.text == text:
                return t.id
    raise KeyError(text)


def test_create_sets_wal_foreign_keys_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "sub" / "new.db"
    with Project.create(path) as p:
        with p.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert p.project_dir == path.parent.resolve()
        assert p.models_dir == path.parent.resolve() / "new.models"
    with pytest.raises(StoreError, match="exists already"):
        Project.create(path)


def test_open_refuses_missing_empty_foreign_and_non_sqlite_files(tmp_path):
    with pytest.raises(NotAProjectError, match="no such project"):
        Project.open(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    (tmp_path / "empty.db").write_bytes(b"")
    with pytest.raises(NotAProjectError, match="empty"):
        Project.open(tmp_path / "empty.db")
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE notes (x)")
    conn.close()
    with pytest.raises(NotAProjectError, match="other tables"):
        Project.open(tmp_path / "other.db")
    (tmp_path / "text.db").write_text("hello, I am not a database\n" * 100)
    with pytest.raises(NotAProjectError, match="text.db: cannot open"):
        Project.open(tmp_path / "text.db")


def test_records_are_frozen_values(project):
    s = project.page(SentenceFilter(), 0, 1)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.text = "x"  # type: ignore[misc]
    assert s.source == "rows.tsv" and s.external_id is None and s.position == 0
    assert [t.text for t in s.terms] == ["pasta", "service"]
    assert s.terms[0].label is POS and s.terms[0].label_source == "import"


def test_add_sentence_and_term_return_existing_rows(project):
    s = project.add_sentence("The soup was cold.")
    assert project.add_sentence("The soup was cold.").id == s.id
    t = project.add_term(s.id, 4, 8)
    assert t.text == "soup" and t.label is None and t.category == ""
    assert project.add_term(s.id, 4, 8).id == t.id
    assert project.add_term(s.id, 4, 8, "FOOD#QUALITY").id != t.id  # a span may carry several categories
    assert [x.text for x in project.get_sentence(s.id).terms] == ["soup", "soup"]
    with pytest.raises(StoreError, match="outside the sentence"):
        project.add_term(s.id, 10, 99)
    with pytest.raises(StoreError, match="no sentence"):
        project.add_term(99999, 0, 1)
    with pytest.raises(StoreError, match="empty"):
        project.add_sentence("   ")


def test_set_label_appends_history_and_updates_current_label(project):
    tid = term_id(project, "battery")
    first = project.set_label(tid, NEG, author="ann")
    assert first.polarity is NEG and first.source == "human" and first.author == "ann" and first.action == "set"
    assert project.get_term(tid).label is NEG
    assert project.set_label(tid, NEG, author="ann").id == first.id  # same label, same person: nothing written
    project.set_label(tid, None)  # clear
    assert project.get_term(tid).label is None
    assert [(e.polarity, e.action) for e in project.history(tid)] == [(NEG, "set"), (None, "set")]
    with pytest.raises(ValueError):
        project.set_label(tid, POS, source="model")
    with pytest.raises(StoreError, match="no term"):
        project.set_label(123456, POS)


def test_undo_and_redo_write_rows_and_walk_back_human_actions(project):
    tid = term_id(project, "pasta")  # imported as positive
    project.set_label(tid, NEG)
    project.set_label(tid, NEU)
    assert project.undo(tid).polarity is NEG
    assert project.undo(tid).polarity is POS  # back to the imported label
    assert project.get_term(tid).label_source == "import"  # with its provenance
    assert project.undo(tid) is None  # never past the import
    assert project.get_term(tid).label is POS
    assert project.redo(tid).polarity is NEG
    assert project.redo(tid).polarity is NEU
    assert project.redo(tid) is None
    project.undo(tid)
    project.set_label(tid, POS)  # a new action drops the redo stack
    assert project.redo(tid) is None
    history = project.history(tid)
    assert [e.action for e in history] == ["set", "set", "set", "undo", "undo", "redo", "redo", "undo", "set"]
    assert [e.id for e in history] == sorted(e.id for e in history)
    assert project.get_term(tid).label is POS and project.get_term(tid).label_source == "human"


def test_undo_of_a_clear_restores_the_label(project):
    tid = term_id(project, "staff")
    project.set_label(tid, None)
    assert project.get_term(tid).label is None
    assert project.undo(tid).polarity is POS
    assert project.get_term(tid).label is POS


def assert_caches_consistent(project: Project) -> None:
    """The cached columns equal what the history says (labels, predictions, smallest margin)."""
    with project.engine.connect() as conn:
        margins: dict[int, list[float]] = {}
        for sid, *probs in conn.exec_driver_sql(
                "SELECT sentence_id, pred_p_negative, pred_p_neutral, pred_p_positive FROM terms "
                "WHERE current_label IS NULL AND pred_confidence IS NOT NULL"):
            top, second = sorted(probs, reverse=True)[:2]
            margins.setdefault(sid, []).append(top - second)  # between the two likeliest labels
        cached = dict(conn.exec_driver_sql("SELECT id, min_confidence FROM sentences").all())
        assert all((cached[sid] is None) == (sid not in margins) for sid in cached)
        assert all(cached[sid] == pytest.approx(min(m)) for sid, m in margins.items())
        bad = conn.exec_driver_sql("""
            SELECT t.id FROM terms t WHERE t.current_label IS DISTINCT FROM
                (SELECT polarity FROM labels l WHERE l.term_id = t.id AND l.source != 'model' ORDER BY l.id DESC LIMIT 1)
            UNION ALL
            SELECT t.id FROM terms t WHERE t.pred_confidence IS DISTINCT FROM
                (SELECT confidence FROM labels l JOIN model_versions m ON m.id = l.model_version_id
                 WHERE l.term_id = t.id AND l.source = 'model' AND m.active ORDER BY l.id DESC LIMIT 1)
            """).all()
    assert bad == []


def _predict(project: Project, labels: dict[str, tuple[Polarity, float]], tmp_path: Path, activate=True):
    folder = tmp_path / "models" / f"m{len(project.models())}"
    folder.mkdir(parents=True)
    version = project.register_model(folder, "two-phase", "bundled", {}, {"accuracy": 0.5}, 3, activate=activate)
    preds = []
    for text, (label, conf) in labels.items():
        rest = (1 - conf) / 2
        probs = tuple(conf if p is label else rest for p in (NEG, NEU, POS))
        preds.append((term_id(project, text), Prediction(label, probs)))
    assert project.store_predictions(version.id, preds) == len(preds)
    return version


def test_least_confident_first_is_the_smallest_margin_between_the_two_likeliest(project, tmp_path):
    folder = tmp_path / "models" / "m"
    folder.mkdir(parents=True)
    version = project.register_model(folder, "two-phase", "bundled", {}, {"accuracy": 0.5}, 3, activate=True)
    # battery: top 0.50 but a near tie (margin 0.05); terrace: lower top (0.40), clearer (margin 0.10).
    project.store_predictions(version.id, [(term_id(project, "battery"), Prediction(NEG, (0.5, 0.45, 0.05))),
                                           (term_id(project, "terrace"), Prediction(POS, (0.3, 0.3, 0.4)))])

    def texts(f):
        return [s.text.split()[1] for s in project.page(f, 0, 10)]

    assert texts(SentenceFilter("least_confident")) == ["battery", "terrace"]  # by top probability: the reverse
    assert texts(SentenceFilter("least_confident", label=NEG)) == ["battery"]
    assert_caches_consistent(project)


def test_filters_pages_and_counts(project, tmp_path):
    _predict(project, {"pasta": (NEG, 0.9), "service": (NEG, 0.8), "battery": (NEG, 0.4),
                       "terrace": (POS, 0.7), "salad": (NEU, 0.6)}, tmp_path)

    def texts(f, offset=0, limit=10):
        return [s.text.split()[1] for s in project.page(f, offset, limit)]

    assert texts(SentenceFilter()) == ["pasta", "ordered", "battery", "terrace"]
    assert texts(SentenceFilter(), 1, 2) == ["ordered", "battery"]
    assert texts(SentenceFilter("unlabeled")) == ["battery", "terrace"]
    assert texts(SentenceFilter("labeled")) == ["pasta", "ordered", "terrace"]
    assert texts(SentenceFilter("disagree")) == ["pasta"]
    assert texts(SentenceFilter("least_confident")) == ["battery", "terrace"]
    assert texts(SentenceFilter("least_confident"), 1, 5) == ["terrace"]
    assert texts(SentenceFilter("labeled", label=NEU)) == ["ordered"]
    assert texts(SentenceFilter("all", label="negative")) == ["pasta"]  # labels are parsed
    assert texts(SentenceFilter("unlabeled", label=POS)) == ["terrace"]  # unlabeled: the predicted label
    assert texts(SentenceFilter("disagree", label=NEG)) == []
    assert texts(SentenceFilter("all", text="PASTA")) == ["pasta"]  # case-insensitive substring
    assert texts(SentenceFilter("all", text="te")) == ["battery", "terrace"]  # short: LIKE fallback
    assert texts(SentenceFilter("all", text="100%")) == []  # LIKE wildcards are literal
    assert texts(SentenceFilter("unlabeled", text="hour")) == ["battery"]
    assert texts(SentenceFilter("least_confident", text="terrace")) == ["terrace"]
    assert texts(SentenceFilter("least_confident", label=POS)) == ["terrace"]  # walks terms, not the cache
    assert texts(SentenceFilter("least_confident", label=NEG), 0, 1) == ["battery"]
    for f in [SentenceFilter(k) for k in ("all", "unlabeled", "labeled", "disagree", "least_confident")] + [
            SentenceFilter("all", text="the"), SentenceFilter("labeled", label=POS)]:
        assert project.count(f) == len(project.page(f, 0, 100)), f
    assert_caches_consistent(project)
    project.set_label(term_id(project, "battery"), POS)  # the least confident term gets a label
    assert texts(SentenceFilter("least_confident")) == ["terrace"]
    project.undo(term_id(project, "battery"))
    assert texts(SentenceFilter("least_confident")) == ["battery", "terrace"]
    assert_caches_consistent(project)
    with pytest.raises(ValueError, match="unknown filter"):
        SentenceFilter("weird")  # type: ignore[arg-type]


def test_page_terms_carry_prediction_of_the_active_model_only(project, tmp_path):
    _predict(project, {"battery": (NEG, 0.4)}, tmp_path)
    t = project.get_term(term_id(project, "battery"))
    assert t.predicted is NEG and t.confidence == pytest.approx(0.4)
    assert t.probabilities == pytest.approx((0.4, 0.3, 0.3))
    assert not t.disagrees
    other = _predict(project, {"battery": (POS, 0.9)}, tmp_path, activate=False)
    assert project.get_term(t.id).predicted is NEG  # not active: not shown
    project.activate(other.id)
    assert project.get_term(t.id).predicted is POS
    project.activate(other.id - 1)  # roll back: the old predictions come back
    assert project.get_term(t.id).predicted is NEG
    assert_caches_consistent(project)
    project.set_label(t.id, POS)
    assert project.get_term(t.id).disagrees
    assert project.count(SentenceFilter("disagree")) == 1


def test_search_index_follows_new_and_imported_sentences(project):
    s = project.add_sentence("Zucchini fritters were soggy.")
    project.add_term(s.id, 0, 8)
    assert [x.id for x in project.page(SentenceFilter(text="zucchini"))] == [s.id]
    project.import_examples([ex("Quinoa bowl was bland.", "Quinoa bowl", NEG)])
    assert project.count(SentenceFilter(text="quinoa")) == 1
    with project.engine.connect() as conn:
        kind = conn.exec_driver_sql("SELECT value FROM meta WHERE key='text_index'").scalar()
    assert kind == ("fts5-trigram" if project.engine.dialect.name == "sqlite" else "pg_trgm")


def test_stats_counts_per_label(project):
    st = project.stats()
    assert (st.sentences, st.terms, st.labeled) == (4, 6, 4)
    assert st.per_label == {"negative": 1, "neutral": 1, "positive": 2}
    assert st.models == 0 and st.active_model is None
    assert st.as_dict()["per_label"]["positive"] == 2


def test_snapshot_and_unlabeled_terms(project):
    snap = project.labeled_examples()
    assert [(e.term, e.polarity) for e in snap] == [("pasta", POS), ("service", NEG), ("salad", NEU), ("staff", POS)]
    assert [e.term for _, e in project.unlabeled_terms()] == ["battery", "terrace"]


def test_settings_round_trip(project):
    assert project.get_setting("train", {}) == {}
    project.set_setting("train", {"engine": "lora", "epochs": [4, 0]})
    assert project.get_setting("train") == {"engine": "lora", "epochs": [4, 0]}
    project.set_setting("train", None)
    assert "train" not in project.settings()
    # A server project keeps only its models folder (a path, never the URL); a file nothing.
    assert set(project.settings()) <= {"models_dir"}
