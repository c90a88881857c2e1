"""Schema versions: a file made by every earlier version opens with the current code, the
current schema is the saved DDL of the current version, and migration steps run in order, all
or nothing, after a backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from core.domain import Polarity, TermExample
from core.storage import SCHEMA_VERSION, Project, SchemaTooNewError, SentenceFilter
from core.storage.db import connect
from core.storage.errors import NotAProjectError
from core.storage.migrations import Migration, check_migrations, ensure_schema, read_version

from saved_schemas import SAVED_DDL, make_v1_file, schema_of  # tests/core is on sys.path (its conftest)


def test_every_saved_version_has_a_migration_path_to_the_current_one():
    assert max(SAVED_DDL) == SCHEMA_VERSION, f"save the DDL of schema version {SCHEMA_VERSION} in SAVED_DDL"
    check_migrations(__import__("core.storage.migrations", fromlist=["MIGRATIONS"]).MIGRATIONS, SCHEMA_VERSION)


def test_a_new_project_has_exactly_the_saved_schema_of_the_current_version(tmp_path):
    Project.create(tmp_path / "new.db").close()
    ref = tmp_path / "ref.db"
    conn = sqlite3.connect(ref)
    conn.executescript(SAVED_DDL[SCHEMA_VERSION])
    conn.close()
    assert schema_of(tmp_path / "new.db") == schema_of(ref)


@pytest.mark.parametrize("version", sorted(SAVED_DDL))
def test_a_file_of_every_earlier_version_opens_and_keeps_its_data(tmp_path, version):
    assert version <= 5  # versions 1 to 5 hold the same rows; a later one may need a make_vN_file
    path = tmp_path / "old.db"
    make_v1_file(path, version)
    with Project.open(path) as p:
        s = p.get_sentence(1)
        assert s.text == "The soup was cold." and s.terms[0].label is Polarity.NEGATIVE
        assert s.terms[0].label_source == "human" and p.get_sentence(2).external_id == "x7"
        assert [(e.source, e.author) for e in p.history(1)] == [("import", None), ("human", "ann")]
        assert p.undo(1).polarity is Polarity.POSITIVE
        assert p.active_model().id == 1 and p.active_model().metrics == {"accuracy": 0.8}
        assert p.active_model().folder == str(tmp_path / "m1")
        run = p.get_run(1)
        assert run.status == "failed" and "interrupted" in run.error  # its process is long gone
        assert p.count(SentenceFilter(text="soup")) == 1 and p.count(SentenceFilter("unlabeled")) == 1
        with p.engine.connect() as conn:
            assert read_version(conn) == SCHEMA_VERSION
    fresh = tmp_path / "fresh.db"
    Project.create(fresh).close()
    assert schema_of(path) == schema_of(fresh)
    conn = sqlite3.connect(path)  # the rebuilt tables (version 3) kept every row and reference
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT id, term_id, source, author FROM labels WHERE id <= 2 ORDER BY id").fetchall() == [
        (1, 1, "import", None), (2, 1, "human", "ann")]
    conn.close()


def _add_note(conn):
    conn.execute(text("ALTER TABLE labels ADD COLUMN note TEXT"))


def _add_colour(conn):
    conn.execute(text("ALTER TABLE terms ADD COLUMN colour TEXT"))


def _columns(path: Path, table: str) -> list[str]:
    conn = sqlite3.connect(path)
    names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    conn.close()
    return names


def test_migration_steps_run_in_order_after_a_backup(tmp_path):
    path = tmp_path / "p.db"
    make_v1_file(path)
    engine = connect(path)
    steps = [Migration(2, "labels.note", _add_note), Migration(3, "terms.colour", _add_colour)]
    assert ensure_schema(engine, create=False, migrations=steps, target=3) == 1
    with engine.connect() as conn:
        assert read_version(conn) == 3
    engine.dispose()
    assert "note" in _columns(path, "labels") and "colour" in _columns(path, "terms")
    backup = tmp_path / "p.db.v1.bak"
    assert "note" not in _columns(backup, "labels")
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_a_failing_step_leaves_the_file_at_its_old_version(tmp_path):
    path = tmp_path / "p.db"
    make_v1_file(path)
    engine = connect(path)

    def broken(conn):
        raise RuntimeError("step 3 is broken")

    steps = [Migration(2, "labels.note", _add_note), Migration(3, "broken", broken)]
    with pytest.raises(RuntimeError, match="step 3"):
        ensure_schema(engine, create=False, migrations=steps, target=3)
    with engine.connect() as conn:
        assert read_version(conn) == 1
    engine.dispose()
    assert "note" not in _columns(path, "labels")
    with Project.open(path) as p:  # still a good version 1 project
        assert p.get_sentence(1).terms[0].label is Polarity.NEGATIVE


def test_steps_must_be_consecutive():
    with pytest.raises(RuntimeError, match="in order"):
        check_migrations([Migration(3, "x", _add_note)], 3)


def test_a_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "p.db"
    Project.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match="newer Polarity Studio"):
        Project.open(path)


# A version 4 server database taken back to version 1 (PostgreSQL cannot run the SQLite DDL above).
PG_BACK_TO_V1 = [
    "DROP TABLE term_suggestions", "DROP TABLE sentence_terms_done",
    "DROP TABLE sentence_documents",
    "DROP INDEX ix_labels_edits", "DROP INDEX ix_labels_adjudication", "ALTER TABLE labels DROP COLUMN batch_id",
    "DROP TABLE review_batches", "ALTER TABLE labels DROP CONSTRAINT ck_labels_source",
    "ALTER TABLE labels ADD CONSTRAINT ck_labels_source CHECK (source IN ('human', 'import', 'model'))",
    "ALTER TABLE labels ALTER COLUMN source TYPE VARCHAR(16)",
    "ALTER TABLE terms ALTER COLUMN current_source TYPE VARCHAR(16)", "ALTER TABLE terms DROP COLUMN disputed",
]


def _shape(url) -> dict[str, object]:
    """Tables, columns with types, indexes, checks and foreign keys, as the database reports them."""
    engine = connect(url)
    with engine.connect() as conn:
        ins = inspect(conn)
        shape = {t: ([(c["name"], str(c["type"]), c["nullable"]) for c in ins.get_columns(t)],
                     sorted((i["name"], tuple(i["column_names"])) for i in ins.get_indexes(t)),
                     sorted((c["name"], " ".join(str(c["sqltext"]).split())) for c in ins.get_check_constraints(t)),
                     sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in ins.get_foreign_keys(t)))
                 for t in ins.get_table_names() if not t.startswith("sentences_fts")}
    engine.dispose()
    return shape


def test_an_older_database_is_upgraded_on_open_and_a_newer_one_refused(store_factory, backend, tmp_path):
    """Versioning and the real migration steps on both databases (a server keeps no .bak): an
    upgraded version 1 project has the very shape of a new one, and keeps its rows."""
    old, fresh = store_factory("old"), store_factory("fresh")
    Project.create(fresh).close()
    if backend == "sqlite":
        make_v1_file(Path(old))
        conn = sqlite3.connect(old)  # bob disagrees with ann: the upgrade fills terms.disputed
        conn.execute("INSERT INTO labels (id, term_id, polarity, source, action, created_at, author) "
                     "VALUES (3, 1, 'positive', 'human', 'set', '2025-01-02 03:04:06', 'bob')")
        conn.commit()
        conn.close()
    else:
        with Project.create(old) as p:
            p.import_examples([TermExample("The soup was cold.", 4, 8)], source="old.tsv")
            p.set_label(1, Polarity.NEGATIVE, author="ann")
            p.set_label(1, Polarity.POSITIVE, author="bob")
        engine = connect(old)
        with engine.begin() as conn:
            for statement in PG_BACK_TO_V1:
                conn.exec_driver_sql(statement)
            conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
        engine.dispose()
    with Project.open(old) as p, p.engine.connect() as conn:
        assert read_version(conn) == SCHEMA_VERSION
        assert p.get_sentence(1).terms[0].text == "soup"
        assert [(a.author, a.polarity) for a in p.annotator_labels(1).annotators] == [
            ("ann", Polarity.NEGATIVE), ("bob", Polarity.POSITIVE)]
        assert p.count(SentenceFilter("annotators_disagree")) == 1
    assert _shape(old) == _shape(fresh)
    engine = connect(old)
    with engine.begin() as conn:
        conn.execute(text("UPDATE meta SET value = '99' WHERE key = 'schema_version'"))
    engine.dispose()
    with pytest.raises(SchemaTooNewError, match="newer Polarity Studio"):
        Project.open(old)


def test_open_refuses_an_empty_or_foreign_database(store_factory, backend):
    empty = store_factory("empty")
    if backend == "sqlite":
        Path(empty).write_bytes(b"")
    with pytest.raises(NotAProjectError, match="empty"):
        Project.open(empty)
    other = store_factory("other")
    engine = connect(other)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (x INTEGER)")
    engine.dispose()
    with pytest.raises(NotAProjectError, match="other tables"):
        Project.open(other)
    with pytest.raises(NotAProjectError, match="other tables"):
        Project.create(other) if backend != "sqlite" else Project.open(other, create=True)
