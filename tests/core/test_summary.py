"""The aspect summary (SQLite and PostgreSQL): grouping (case, plurals), labels apart from
predictions and suggestions, --accepted-only, --top, examples, CSV, and the CLI's JSON."""

from __future__ import annotations

import csv
import json

import pytest

from core.cli import main
from core.domain import Polarity
from core.storage import Project
from core.storage.suggestions import NewSuggestion
from core.storage.summary import aspect_key

NEG, NEU, POS = (0.8, 0.1, 0.1), (0.1, 0.8, 0.1), (0.1, 0.1, 0.8)


def span(text: str, word: str) -> tuple[int, int]:
    a = text.index(word)
    return a, a + len(word)


def build(p: Project) -> None:
    """waiter: 2 labeled (pos, neg) + 1 accepted suggestion (neutral); pasta: 1 open suggestion (neg);
    staff: 1 unlabeled term without any prediction."""
    s1 = p.add_sentence("The waiter was friendly.")
    s2 = p.add_sentence("Two Waiters ignored us.")
    s3 = p.add_sentence("Our waiter brought the pasta.")
    s4 = p.add_sentence("The staff left.")
    p.set_label(p.add_term(s1.id, *span(s1.text, "waiter")).id, Polarity.POSITIVE)
    p.set_label(p.add_term(s2.id, *span(s2.text, "Waiters")).id, Polarity.NEGATIVE)
    p.store_suggestions([NewSuggestion(s3.id, *span(s3.text, "waiter"), 0.9, NEU),
                         NewSuggestion(s3.id, *span(s3.text, "pasta"), 0.7, NEG)])
    p.accept_suggestion(next(x.id for x in p.suggestions(s3.id) if x.text == "waiter"))
    p.add_term(s4.id, *span(s4.text, "staff"))


@pytest.fixture
def project(store_url):
    with Project.create(store_url) as p:
        build(p)
        yield p


def test_plurals_and_case_fall_in_one_group():
    assert aspect_key("Waiters") == aspect_key("waiter") == "waiter"
    assert aspect_key("Battery  Lives") == "battery life"
    assert aspect_key("glass") == "glass" and aspect_key("iOS") == "ios"  # no singular made up


def test_summary_counts_labels_predictions_and_suggestions_apart(project):
    rows = {r.term: r for r in project.aspect_summary()}
    assert list(rows) == ["waiter", "pasta", "staff"]  # by mentions, then by name
    w = rows["waiter"]
    assert (w.mentions, w.negative, w.neutral, w.positive) == (3, 1, 1, 1)
    assert (w.labeled, w.predicted, w.suggested, w.unknown) == (2, 1, 0, 0)
    assert w.by_source["labeled"] == {"negative": 1, "neutral": 0, "positive": 1}
    assert w.by_source["predicted"] == {"negative": 0, "neutral": 1, "positive": 0}
    assert w.shares == {"negative": 0.3333, "neutral": 0.3333, "positive": 0.3333}
    assert w.forms == ("waiter", "waiters")
    assert w.examples[:2] == ("The waiter was friendly.", "Two Waiters ignored us.")  # labeled ones first
    p = rows["pasta"]
    assert (p.mentions, p.negative, p.suggested, p.labeled) == (1, 1, 1, 0)
    s = rows["staff"]
    assert (s.mentions, s.unknown, s.shares["positive"]) == (1, 1, 0.0)


def test_accepted_only_leaves_suggestions_out_and_top_cuts(project):
    assert [r.term for r in project.aspect_summary(accepted_only=True)] == ["waiter", "staff"]
    assert [r.term for r in project.aspect_summary(top=1)] == ["waiter"]
    assert [r.term for r in project.aspect_summary(terms=["Waiters"])] == ["waiter"]
    assert project.aspect_summary(examples=1)[0].examples == ("The waiter was friendly.",)


def test_a_rejected_suggestion_counts_nowhere(project):
    pasta = next(x for x in project.suggestions(3) if x.text == "pasta")
    project.reject_suggestion(pasta.id)
    assert "pasta" not in [r.term for r in project.aspect_summary()]


def test_cli_summary_json_csv_and_table(tmp_path, capsys):
    db = tmp_path / "p.db"
    with Project.create(db) as p:
        build(p)
    out_csv = tmp_path / "summary.csv"
    assert main(["project", "summary", str(db), "--json", "--top", "2", "--csv", str(out_csv)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["term"] for r in rows] == ["waiter", "pasta"]
    assert {k: rows[0][k] for k in ("term", "mentions", "negative", "neutral", "positive", "labeled")} == {
        "term": "waiter", "mentions": 3, "negative": 1, "neutral": 1, "positive": 1, "labeled": 2}
    table = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert [(r["term"], r["mentions"], r["suggested"]) for r in table] == [("waiter", "3", "0"), ("pasta", "1", "1")]
    assert main(["project", "summary", str(db), "--accepted-only"]) == 0
    text = capsys.readouterr().out
    assert "waiter" in text and "pasta" not in text
    assert main(["project", "summary", str(db), "--top", "0"]) == 2
