"""Import and export of a project: one transaction, no duplicates on re-import, errors naming
file and line, round trips through every format, and the seed file round trip (on SQLite and
on PostgreSQL: ``store_url``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from core.domain import Polarity, Prediction, TermExample
from core.formats import FORMATS, FormatError, read_examples, write_examples
from core.storage import Project, SentenceFilter, StoreError

NEG, NEU, POS = Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE
SUFFIX = {"tsv": ".tsv", "semeval14": ".xml", "semeval16": ".xml", "jsonl": ".jsonl", "csv": ".csv"}


def ex(sentence, term, polarity=None, category="", sid=None):
    start = sentence.index(term)
    return TermExample(sentence, start, start + len(term), polarity, category, sid)


EXAMPLES = [
    ex("The pasta was great but the service was slow.", "pasta", POS, "FOOD#QUALITY", "s1"),
    ex("The pasta was great but the service was slow.", "service", NEG, "SERVICE#GENERAL", "s1"),
    ex("We ordered a salad, nothing more.", "salad", NEU, "FOOD#QUALITY", "s2"),
    ex("Cheap \"house\" wine, and good.", "wine", POS, "DRINKS#PRICES", "s3"),
    ex("Cheap \"house\" wine, and good.", "wine", NEG, "DRINKS#QUALITY", "s3"),  # same span, other category
]


def db_state(project: Project) -> set[tuple]:
    """Every term with its sentence and current label: what an import put in."""
    return {(s.text, t.start, t.end, t.category, t.label)
            for s in project.page(SentenceFilter(), 0, 10_000) for t in s.terms}


def file_digest(path) -> str:
    """The database content (WAL included), to show that nothing changed."""
    with Project.open(path) as p, p.engine.connect() as conn:
        rows = []
        for table in ("sentences", "terms", "labels", "model_versions", "training_runs", "settings"):
            rows.append(conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1").all())
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
def project(store_url):
    with Project.create(store_url) as p:
        yield p


def test_import_adds_everything_and_reimport_adds_nothing(project, tmp_path):
    path = tmp_path / "data.jsonl"
    write_examples(path, EXAMPLES)
    first = project.import_file(path)
    assert (first.sentences_added, first.terms_added, first.labels_added, first.format) == (3, 5, 5, "jsonl")
    assert first.rows == 5 and first.duplicates == 0
    before = db_state(project)
    again = project.import_file(path)
    assert (again.sentences_added, again.terms_added, again.labels_added) == (0, 0, 0)
    assert db_state(project) == before
    s = project.page(SentenceFilter(), 0, 1)[0]
    assert s.external_id == "s1" and s.source == "data.jsonl"


def test_import_records_only_changed_labels_and_keeps_human_ones(project, tmp_path):
    project.import_examples(EXAMPLES)
    pasta = project.page(SentenceFilter(), 0, 1)[0].terms[0]
    service = project.page(SentenceFilter(), 0, 1)[0].terms[1]
    project.set_label(service.id, POS)  # a person corrects it
    changed = [e.with_polarity(NEU) if e.term in ("pasta", "service") else e for e in EXAMPLES]
    report = project.import_examples(changed)
    assert (report.labels_added, report.kept_human) == (1, 1)
    assert project.get_term(pasta.id).label is NEU and project.get_term(pasta.id).label_source == "import"
    assert project.get_term(service.id).label is POS and project.get_term(service.id).label_source == "human"
    assert [e.source for e in project.history(pasta.id)] == ["import", "import"]


def test_unlabeled_rows_add_terms_but_no_label(project):
    report = project.import_examples([e.with_polarity(None) for e in EXAMPLES[:2]])
    assert (report.terms_added, report.labels_added) == (2, 0)
    assert project.stats().labeled == 0
    # a later labeled import labels them; an unlabeled one never clears a label
    project.import_examples(EXAMPLES[:2])
    project.import_examples([e.with_polarity(None) for e in EXAMPLES[:2]])
    assert project.stats().labeled == 2


def test_repeated_rows_in_one_file_keep_the_later_label_and_warn(project, tmp_path):
    path = tmp_path / "dups.tsv"
    rows = [EXAMPLES[0], EXAMPLES[2], EXAMPLES[0].with_polarity(NEG), EXAMPLES[2]]
    write_examples(path, rows)
    report = project.import_file(path)
    assert (report.terms_added, report.labels_added, report.duplicates, report.conflicts_in_file) == (2, 2, 2, 1)
    assert "dups.tsv:3: term 'pasta'" in report.warnings[0] and "line 1" in report.warnings[0]
    assert project.page(SentenceFilter(), 0, 1)[0].terms[0].label is NEG
    assert project.import_file(path).labels_added == 0  # idempotent all the same


def test_malformed_import_changes_nothing_and_names_file_and_line(project, tmp_path, store_url):
    project.import_examples(EXAMPLES[:2])
    good = tmp_path / "good.tsv"
    write_examples(good, EXAMPLES[2:])
    lines = good.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "bad.tsv"
    bad.write_text("".join(lines[:2]) + "positive\t\tsalad\t99:104\tToo short.\n", encoding="utf-8")
    before = file_digest(store_url)
    with pytest.raises(FormatError) as err:
        project.import_file(bad)
    assert err.value.path.endswith("bad.tsv") and err.value.line == 3 and "outside the sentence" in err.value.reason
    assert file_digest(store_url) == before


def test_failure_inside_the_transaction_rolls_everything_back(project, monkeypatch, store_url):
    """Rows already inserted in the transaction (sentences, terms) vanish when a later step fails."""
    import core.storage.io as io

    project.import_examples(EXAMPLES[:1])
    before = file_digest(store_url)
    real = io.insert_rows

    def failing(conn, table, rows, want_ids=False):
        if table.name == "labels":
            raise RuntimeError("disk full")
        return real(conn, table, rows, want_ids=want_ids)

    monkeypatch.setattr(io, "insert_rows", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        project.import_examples(EXAMPLES)
    monkeypatch.setattr(io, "insert_rows", real)
    assert file_digest(store_url) == before
    assert project.count(SentenceFilter(text="salad")) == 0  # the text index rolled back too
    assert project.import_examples(EXAMPLES).sentences_added == 2  # and still works


def test_examples_with_bad_spans_are_refused_before_writing(project):
    bad = TermExample("Short.", 3, 30, POS, line=7)
    with pytest.raises(FormatError, match=r"x.tsv:7: span 3:30 lies outside"):
        project.import_examples([EXAMPLES[0], bad], source="x.tsv")
    assert project.stats().sentences == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_of_an_import_round_trips_in_every_format(project, tmp_path, fmt, store_factory):
    rows = EXAMPLES if fmt != "semeval14" else [e for e in EXAMPLES if e.category != "DRINKS#QUALITY"]
    if fmt == "semeval14":  # aspectTerm has no category
        rows = [TermExample(e.sentence, e.start, e.end, e.polarity, "", e.sentence_id) for e in rows]
    if fmt == "tsv":  # the seed format has no sentence ids
        rows = [TermExample(e.sentence, e.start, e.end, e.polarity, e.category) for e in rows]
    source = tmp_path / f"in{SUFFIX[fmt]}"
    write_examples(source, rows, fmt)
    project.import_file(source, fmt)
    out = tmp_path / f"out{SUFFIX[fmt]}"
    assert project.export_file(out, fmt) == len(rows)
    assert read_examples(out, fmt).examples == read_examples(source, fmt).examples
    with Project.create(store_factory("again")) as again:
        again.import_file(out, fmt)
        assert db_state(again) == db_state(project)


def test_export_with_predictions_writes_every_term_and_probabilities(project, tmp_path):
    import json

    project.import_examples(EXAMPLES[:3])
    project.import_examples([ex("The bread arrived cold.", "bread")])
    with pytest.raises(StoreError, match="no active model"):
        project.export_file(tmp_path / "x.jsonl", with_predictions=True)
    folder = tmp_path / "m"
    folder.mkdir()
    version = project.register_model(folder, "two-phase", "bundled", {}, {}, 3)
    bread = project.unlabeled_terms()[0][0]
    project.store_predictions(version.id, [(bread, Prediction(NEG, (0.7, 0.2, 0.1)))])
    out = tmp_path / "preds.jsonl"
    assert project.export_file(out, with_predictions=True) == 4
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["label"] for r in rows] == ["positive", "negative", "neutral", None]
    assert rows[3]["prediction"] == "negative" and rows[3]["probabilities"]["negative"] == pytest.approx(0.7)
    assert "prediction" not in rows[0]
    assert project.export_file(tmp_path / "labels.jsonl") == 3  # without: labeled terms only


def test_export_of_an_empty_project_is_an_error(project, tmp_path):
    with pytest.raises(StoreError, match="nothing to export"):
        project.export_file(tmp_path / "out.tsv")
    assert not (tmp_path / "out.tsv").exists()


@pytest.mark.shared_data
def test_seed_train_file_round_trips_through_tsv(project, tmp_path, shared_data, store_factory):
    """Importing the seed's train file and exporting it to .tsv gives back its rows.

    The file repeats 2 (sentence, span, category) rows with the other label; one term keeps the
    later label, so those 2 rows are the only difference, and they are reported.
    """
    source = shared_data / "centrale" / "traindata.csv"
    original = read_examples(source).examples
    report = project.import_file(source)
    assert report.rows == 1503 and report.conflicts_in_file == 2 and report.duplicates == 2
    out = tmp_path / "train.tsv"
    assert project.export_file(out) == 1501
    expected: dict[tuple, TermExample] = {}
    for e in original:
        key = (e.sentence, e.start, e.end, e.category)
        expected[key] = expected[key].with_polarity(e.polarity) if key in expected else e
    assert read_examples(out).examples == list(expected.values())
    with Project.create(store_factory("again")) as again:
        again.import_file(out)
        assert db_state(again) == db_state(project)


def test_a_very_long_sentence_imports_once(project):
    """PostgreSQL cannot key a b-tree on a 20 kB text; the store keys its md5 there instead."""
    import random
    import string

    rng = random.Random(0)
    text = "The soup " + " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9)))
                                  for _ in range(3000))
    assert len(text) > 15_000
    assert project.import_examples([ex(text, "soup", NEG)]).sentences_added == 1
    assert project.import_examples([ex(text, "soup", NEG)]).sentences_added == 0
    assert project.add_sentence(text).id == project.page(SentenceFilter(), 0, 1)[0].id
    assert project.add_sentence(text, external_id="other").id != project.add_sentence(text).id
    assert project.count(SentenceFilter(text=text[-40:])) == 2  # the same text under two ids
