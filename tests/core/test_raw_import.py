"""Raw text into a project: sentences without terms, each with its document and position; all or
nothing; a second import adds nothing; SemEval sentences without terms are kept; exports carry the
document; the CLI flags (on SQLite and, where configured, PostgreSQL: ``store_url``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.cli import main
from core.domain import Polarity
from core.formats import FormatError
from core.storage import Project, SentenceFilter

SURVEY = ('id,answer,score\n'
          'a1,"The room was clean. The staff, however, were rude!",2\n'
          'a2,,3\n'
          'a3,Great breakfast,5\n')


@pytest.fixture
def project(store_url):
    with Project.create(store_url) as p:
        yield p


def documents(project: Project) -> list[tuple[str, str, str, int]]:
    """(text, external id, document id, position) of every sentence, in document order."""
    with project.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT s.text, s.external_id, d.document_id, d.document_position FROM sentences s "
            "JOIN sentence_documents d ON d.sentence_id = s.id ORDER BY d.document_id, d.document_position")]


def counts(project: Project) -> tuple[int, ...]:
    with project.engine.connect() as conn:
        return tuple(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
                     for t in ("sentences", "terms", "labels", "sentence_documents"))


def test_csv_import_splits_keeps_documents_and_reimport_adds_nothing(project, tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(SURVEY, encoding="utf-8")
    report = project.import_file(path, text_column="answer", id_column="id")
    assert (report.format, report.documents, report.sentences_added, report.terms_added) == ("csv", 2, 3, 0)
    assert report.skipped_empty == 1
    assert documents(project) == [("The room was clean.", "a1:0", "a1", 0),
                                  ("The staff, however, were rude!", "a1:1", "a1", 1),
                                  ("Great breakfast", "a3:0", "a3", 0)]
    again = project.import_file(path, text_column="answer", id_column="id")
    assert again.sentences_added == 0 and counts(project) == (3, 0, 0, 3)
    assert project.count(SentenceFilter()) == 3  # raw sentences are listed like any other
    records = project.page(SentenceFilter(), 0, 10)
    assert sorted(r.document for r in records) == [("a1", 0), ("a1", 1), ("a3", 0)]
    assert project.get_sentence(records[0].id).document == records[0].document


def test_no_split_keeps_each_text_whole_and_txt_documents_are_lines(project, tmp_path: Path) -> None:
    path = tmp_path / "reviews.txt"
    path.write_text("Cold soup. Warm beer.\n\nFriendly staff.\n", encoding="utf-8")
    project.import_file(path, split=False)
    assert documents(project) == [("Cold soup. Warm beer.", "1:0", "1", 0), ("Friendly staff.", "3:0", "3", 0)]
    project.import_file(path)  # split, the same file gives other sentences of the same documents
    assert ("Cold soup.", "1:0", "1", 0) in documents(project)


def test_xlsx_and_jsonl_imports(project, tmp_path: Path) -> None:
    book = Workbook()
    for row in (["Ticket", "Body"], [101, "Screen flickers. Please advise."], [102, "Works now"]):
        book.active.append(row)
    book.save(tmp_path / "tickets.xlsx")
    report = project.import_file(tmp_path / "tickets.xlsx", text_column="Body", id_column="Ticket")
    assert (report.format, report.sentences_added) == ("xlsx", 3)
    (tmp_path / "r.jsonl").write_text('{"text": "Nice desk. Bad chair."}\n', encoding="utf-8")
    assert project.import_file(tmp_path / "r.jsonl").sentences_added == 2
    assert [d[2] for d in documents(project)] == ["1", "1", "101", "101", "102"]


def test_a_bad_row_names_file_and_line_and_changes_nothing(project, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("One review.\n", encoding="utf-8")
    project.import_file(good)
    before = counts(project)
    bad = tmp_path / "bad.csv"
    bad.write_text(SURVEY + "a4,too,many,cells\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        project.import_file(bad, text_column="answer", id_column="id")
    assert (info.value.path, info.value.line) == (str(bad), 5) and "expected 3 columns" in info.value.reason
    missing = tmp_path / "m.csv"
    missing.write_text("id,notes\n1,x\n", encoding="utf-8")
    with pytest.raises(FormatError, match="which column holds the text"):
        project.import_file(missing)
    assert counts(project) == before


def test_labeled_files_import_as_before(project, tmp_path: Path, small_tsv: Path) -> None:
    report = project.import_file(small_tsv)
    assert report.format == "tsv" and report.terms_added > 0 and report.documents == 0
    labeled = tmp_path / "l.csv"
    labeled.write_text("text,term,label\nNice soup,soup,positive\n", encoding="utf-8")
    assert project.import_file(labeled).terms_added == 1
    assert counts(project)[3] == 0  # no document rows for labeled data


def test_semeval_sentences_without_terms_are_kept(project, tmp_path: Path) -> None:
    path = tmp_path / "s.xml"
    path.write_text('<sentences><sentence id="1"><text>The pizza was fine.</text><aspectTerms>'
                    '<aspectTerm term="pizza" polarity="positive" from="4" to="9"/></aspectTerms></sentence>'
                    '<sentence id="2"><text>We went on a Tuesday.</text></sentence>'
                    '<sentence id="3"><text>Nice.</text><aspectTerms></aspectTerms></sentence></sentences>',
                    encoding="utf-8")
    report = project.import_file(path)
    assert (report.sentences_added, report.terms_added, report.labels_added) == (3, 1, 1)
    texts = {s.text: (s.external_id, len(s.terms)) for s in project.page(SentenceFilter(), 0, 10)}
    assert texts == {"The pizza was fine.": ("1", 1), "We went on a Tuesday.": ("2", 0), "Nice.": ("3", 0)}
    assert project.import_file(path).sentences_added == 0


def test_exports_carry_the_document_of_raw_sentences(project, tmp_path: Path, small_tsv: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(SURVEY, encoding="utf-8")
    project.import_file(path, text_column="answer", id_column="id")
    project.import_file(small_tsv)
    staff = next(s for s in project.page(SentenceFilter(text="staff, however"), 0, 5))
    term = project.add_term(staff.id, staff.text.index("staff"), staff.text.index("staff") + 5)
    project.set_label(term.id, Polarity.NEGATIVE)
    project.export_file(tmp_path / "out.csv")
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    raw = [r for r in rows if r["document_id"]]
    assert [(r["term"], r["document_id"], r["document_position"], r["id"]) for r in raw] == [
        ("staff", "a1", "1", "a1:1")]
    assert all(r["document_position"] == "" for r in rows if not r["document_id"]) and len(rows) > 1
    project.export_file(tmp_path / "out.jsonl")
    objs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(o["document_id"], o["document_position"]) for o in objs if "document_id" in o] == [("a1", 1)]
    assert sum("document_id" not in o for o in objs) == len(objs) - 1


def test_cli_import_flags(tmp_path: Path, capsys) -> None:
    db, path = tmp_path / "p.db", tmp_path / "survey.csv"
    path.write_text(SURVEY, encoding="utf-8")
    assert main(["project", "init", str(db)]) == 0
    capsys.readouterr()
    assert main(["project", "import", str(db), str(path), "--text-column", "answer", "--id-column", "id",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["documents"], out["sentences_added"], out["skipped_empty"], out["format"]) == (2, 3, 1, "csv")
    assert main(["project", "import", str(db), str(path), "--text-column", "answer", "--no-split"]) == 0
    assert "imported 2 texts (csv, raw): 2 new sentences" in capsys.readouterr().out
    assert main(["project", "import", str(db), str(path), "--text-column", "nope"]) == 2
    assert f"{path}:1: no text column 'nope'" in capsys.readouterr().err


STREAMED = ["Review {}. The soup was cold.".format(i) for i in range(7)] + ["Great view", "Review 1. The soup was cold."]


def test_a_streamed_import_in_many_batches_stores_what_one_batch_does(project, tmp_path: Path, monkeypatch) -> None:
    import core.storage.io as io

    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(STREAMED) + "\n", encoding="utf-8")
    monkeypatch.setattr(io, "RAW_BATCH", 10**6)
    with Project.create(tmp_path / "one-batch.db") as whole:
        whole.import_file(path)
        expected = documents(whole)
    monkeypatch.setattr(io, "RAW_BATCH", 3)  # 17 sentences: 6 batches, inserted and indexed one by one
    report = project.import_file(path)
    assert report.sentences_added == 17 and documents(project) == expected
    with project.engine.connect() as conn:
        positions = [r[0] for r in conn.exec_driver_sql("SELECT position FROM sentences ORDER BY id")]
    assert positions == list(range(17))
    assert project.count(SentenceFilter(text="great view")) == 1  # the last batch is in the text index
    assert project.count(SentenceFilter(text="soup was cold")) == 8
    assert project.import_file(path).sentences_added == 0


def test_a_failure_while_storing_a_later_batch_changes_nothing(project, tmp_path: Path, monkeypatch) -> None:
    import core.storage.io as io

    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(STREAMED) + "\n", encoding="utf-8")
    monkeypatch.setattr(io, "RAW_BATCH", 4)
    insert, calls = io.insert_rows, []

    def failing(conn, table, rows, **kwargs):
        if table.name == "sentences":
            calls.append(len(rows))
            if len(calls) == 3:
                raise OSError("disk full")
        return insert(conn, table, rows, **kwargs)

    monkeypatch.setattr(io, "insert_rows", failing)
    before = counts(project)
    with pytest.raises(Exception, match="disk full"):
        project.import_file(path)
    assert calls == [4, 4, 4] and counts(project) == before  # two batches stored, then rolled back
    project.add_sentence("A lone terrace sentence")  # the rollback brought the index's per-row trigger back
    assert project.count(SentenceFilter(text="lone terrace")) == 1
    monkeypatch.setattr(io, "insert_rows", insert)
    assert project.import_file(path).sentences_added == 17
    assert project.count(SentenceFilter(text="great view")) == 1
