"""Schema versions: a number in the file (``meta.schema_version``) and ordered migration steps.

A new file gets the current schema from the ORM models. An older file is upgraded by running
every ``MigrationToN`` step above its version, in order, in one transaction (SQLite and
PostgreSQL DDL are both transactional), after a backup copy ``<name>.v<old>.bak`` has been
written beside it (a SQLite file; a server database is the administrator's to back up).
Creating and upgrading run under the write lock, so two team members opening a server project
at the same moment upgrade it once; the steps are plain SQL that both databases understand.

To change the schema: edit ``schema.py``, bump ``SCHEMA_VERSION``, append a ``MigrationToN``
whose ``apply`` turns a version N-1 file into a version N file, and save the DDL of the released
version N-1 in ``tests/core/test_store_migrations.py`` (a test opens a file made with it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import Connection, Engine, inspect, text

from core.storage import documents as _documents  # noqa: F401  (registers its table for create_all)
from core.storage import suggestions as _suggestions  # noqa: F401  (registers its tables for create_all)
from core.storage.db import is_sqlite, sqlite_path, writer
from core.storage.errors import NotAProjectError, SchemaTooNewError, StoreError
from core.storage.schema import Base, refresh_disputed
from core.storage.search import create_text_index

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5
APPLICATION = "polarity-studio"


@dataclass(frozen=True)
class Migration:
    """Turns a file of version ``version - 1`` into one of ``version``."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _to2(conn: Connection) -> None:
    # The DDL exactly as ``schema.py`` emits it, so a migrated file equals a new one.
    conn.execute(text("CREATE INDEX ix_labels_edits ON labels (id) WHERE source != 'model'"))


# Version 3 as SQLite creates it (frozen here: later versions may change the ORM models).
_V3_SQLITE: dict[str, list[str]] = {
    "terms": [
        (
            'CREATE TABLE terms ( id INTEGER NOT NULL, sentence_id INTEGER NOT NULL, start INTEGER NOT NULL, '
            '"end" INTEGER NOT NULL, category VARCHAR(128) NOT NULL, created_at DATETIME NOT NULL, current_label '
            'VARCHAR(16), current_source VARCHAR(32), pred_label VARCHAR(16), pred_confidence FLOAT, '
            'pred_p_negative FLOAT, pred_p_neutral FLOAT, pred_p_positive FLOAT, disputed BOOLEAN, PRIMARY KEY '
            '(id), CONSTRAINT uq_terms_span_category UNIQUE (sentence_id, start, "end", category), CONSTRAINT '
            'ck_terms_span CHECK ("start" >= 0 AND "end" > "start"), FOREIGN KEY(sentence_id) REFERENCES '
            'sentences (id) ON DELETE CASCADE )'),
        'CREATE INDEX ix_terms_by_label ON terms (current_label, sentence_id) WHERE current_label IS NOT NULL',
        (
            'CREATE INDEX ix_terms_disagree ON terms (sentence_id, current_label, pred_label) WHERE current_label '
            'IS NOT NULL AND pred_label IS NOT NULL AND pred_label != current_label'),
        'CREATE INDEX ix_terms_disputed ON terms (sentence_id, current_label) WHERE disputed IS 1',
        'CREATE INDEX ix_terms_labeled ON terms (sentence_id, current_label) WHERE current_label IS NOT NULL',
        (
            'CREATE INDEX ix_terms_uncertain ON terms (sentence_id, current_label, pred_confidence, pred_label) '
            'WHERE current_label IS NULL AND pred_confidence IS NOT NULL'),
        (
            'CREATE INDEX ix_terms_uncertain_order ON terms (pred_label, pred_confidence, sentence_id, '
            'current_label) WHERE current_label IS NULL AND pred_confidence IS NOT NULL'),
        'CREATE INDEX ix_terms_unlabeled ON terms (sentence_id, current_label) WHERE current_label IS NULL',
        (
            'CREATE INDEX ix_terms_unlabeled_pred ON terms (pred_label, sentence_id, current_label) WHERE '
            'current_label IS NULL'),
    ],
    "review_batches": [
        (
            'CREATE TABLE review_batches ( id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, kind VARCHAR(32) NOT '
            'NULL, author VARCHAR(128), model_version_id INTEGER, min_confidence FLOAT, created_at DATETIME NOT '
            "NULL, CONSTRAINT ck_review_batches_kind CHECK (kind IN ('accepted-prediction')), FOREIGN "
            'KEY(model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL )'),
    ],
    "labels": [
        (
            'CREATE TABLE labels ( id INTEGER NOT NULL, term_id INTEGER NOT NULL, polarity VARCHAR(16), source '
            'VARCHAR(32) NOT NULL, action VARCHAR(8) NOT NULL, confidence FLOAT, p_negative FLOAT, p_neutral '
            'FLOAT, p_positive FLOAT, model_version_id INTEGER, created_at DATETIME NOT NULL, author '
            'VARCHAR(128), batch_id INTEGER, PRIMARY KEY (id), CONSTRAINT ck_labels_source CHECK (source IN '
            "('human', 'import', 'model', 'adjudication', 'accepted-prediction')), CONSTRAINT ck_labels_action "
            "CHECK (action IN ('set', 'undo', 'redo')), FOREIGN KEY(term_id) REFERENCES terms (id) ON DELETE "
            'CASCADE, FOREIGN KEY(model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL, FOREIGN '
            'KEY(batch_id) REFERENCES review_batches (id) )'),
        "CREATE INDEX ix_labels_adjudication ON labels (term_id, id) WHERE source = 'adjudication'",
        'CREATE INDEX ix_labels_batch ON labels (batch_id, term_id) WHERE batch_id IS NOT NULL',
        "CREATE INDEX ix_labels_edits ON labels (id) WHERE source != 'model'",
        'CREATE INDEX ix_labels_model_version ON labels (model_version_id, term_id)',
        'CREATE INDEX ix_labels_term ON labels (term_id, id)',
    ],
}

_V3_POSTGRESQL = [
    "CREATE TABLE review_batches (id SERIAL NOT NULL, kind VARCHAR(32) NOT NULL, author VARCHAR(128), "
    "model_version_id INTEGER, min_confidence FLOAT, created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, "
    "PRIMARY KEY (id), CONSTRAINT ck_review_batches_kind CHECK (kind IN ('accepted-prediction')), "
    "FOREIGN KEY(model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL)",
    "ALTER TABLE terms ALTER COLUMN current_source TYPE VARCHAR(32)",
    "ALTER TABLE terms ADD COLUMN disputed BOOLEAN",
    "ALTER TABLE labels ALTER COLUMN source TYPE VARCHAR(32)",
    "ALTER TABLE labels DROP CONSTRAINT ck_labels_source",
    "ALTER TABLE labels ADD CONSTRAINT ck_labels_source CHECK (source IN ('human', 'import', 'model', "
    "'adjudication', 'accepted-prediction'))",
    "ALTER TABLE labels ADD COLUMN batch_id INTEGER REFERENCES review_batches (id)",
    "CREATE INDEX ix_terms_disputed ON terms (sentence_id, current_label) WHERE disputed IS true",
    "CREATE INDEX ix_labels_adjudication ON labels (term_id, id) WHERE source = 'adjudication'",
    "CREATE INDEX ix_labels_batch ON labels (batch_id, term_id) WHERE batch_id IS NOT NULL",
]


def _to3(conn: Connection) -> None:
    """Team review: ``review_batches``; labels.source 32 wide with 'adjudication' and
    'accepted-prediction'; labels.batch_id; terms.current_source 32 wide and terms.disputed (filled
    in here); three partial indexes. Plain SQL of version 3, so later versions of the models do
    not change what this step does."""
    if conn.dialect.name == "sqlite":
        _rebuild_sqlite(conn, ["terms", "labels"], _V3_SQLITE)
    else:
        for statement in _V3_POSTGRESQL:
            conn.exec_driver_sql(statement)
    refresh_disputed(conn)


def _rebuild_sqlite(conn: Connection, tables: list[str], ddl: dict[str, list[str]]) -> None:
    """SQLite cannot alter a column or a CHECK constraint: rename each table (parents first), create
    it anew from ``ddl`` (table, then its indexes; new tables in it are created on the way), copy
    the rows, drop the old ones. One transaction, like every step."""
    old: list[tuple[str, list[str]]] = []
    for table in tables:
        names = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,))]
        for name in names:  # index names are global: free them for the new table
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        old.append((table, [r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')]))
        conn.exec_driver_sql(f'ALTER TABLE "{table}" RENAME TO "_old_{table}"')
    for name, statements in ddl.items():  # in order: a table is created before those referring to it
        for statement in statements:
            conn.exec_driver_sql(statement)
        if name in tables:
            columns = ", ".join(f'"{c}"' for c in dict(old)[name])
            conn.exec_driver_sql(f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM "_old_{name}"')
    for table, _columns in reversed(old):  # children first: nothing refers to them then
        conn.exec_driver_sql(f'DROP TABLE "_old_{table}"')


def _to4(conn: Connection) -> None:
    """MigrationTo4: the document and position of sentences split from raw text (core/storage/documents.py).
    The DDL exactly as ``create_all`` emits it, so a migrated file equals a new one."""
    conn.execute(text('CREATE TABLE sentence_documents (\n\tsentence_id INTEGER NOT NULL, \n'
                      '\tdocument_id VARCHAR(256) NOT NULL, \n\tdocument_position INTEGER NOT NULL, \n'
                      '\tPRIMARY KEY (sentence_id), \n'
                      '\tFOREIGN KEY(sentence_id) REFERENCES sentences (id) ON DELETE CASCADE\n)'))
    conn.execute(text("CREATE INDEX ix_sentence_documents_document ON sentence_documents "
                      "(document_id, document_position)"))


def _to5(conn: Connection) -> None:
    """MigrationTo5: term suggestions and "all terms done" (core/storage/suggestions.py); new
    tables only, created from the ORM models so a migrated file equals a new one."""
    for table in (_suggestions.TermSuggestion.__table__, _suggestions.TermsDone.__table__):
        table.create(conn)  # with its indexes


# Each step turns version N-1 into N; append, never edit a released one. E.g.
#   Migration(5, "labels.note", lambda c: c.execute(text("ALTER TABLE labels ADD COLUMN note TEXT"))),
MIGRATIONS: list[Migration] = [
    Migration(2, "index of edits by id, for polling what other annotators labeled", _to2),
    Migration(3, "team review: adjudication, accepted predictions in batches", _to3),
    Migration(4, "document and position of sentences split from raw text", _to4),
    Migration(5, "term suggestions and sentences whose terms are all done", _to5),
]


def check_migrations(migrations: list[Migration], target: int) -> None:
    expected = list(range(2, target + 1))
    found = [m.version for m in migrations]
    if found != expected:
        raise RuntimeError(f"migration steps {found} do not lead from 1 to {target} in order")


def read_version(conn: Connection) -> int | None:
    """The schema version stored in the file, or None when the file has no project tables."""
    names = set(inspect(conn).get_table_names())
    if "meta" not in names:
        if names:
            raise NotAProjectError("not a Polarity Studio project (it holds other tables)")
        return None
    rows = dict(conn.execute(text("SELECT key, value FROM meta")).all())
    if rows.get("application") != APPLICATION or "schema_version" not in rows:
        raise NotAProjectError("not a Polarity Studio project (no schema version)")
    try:
        return int(rows["schema_version"])
    except ValueError:
        raise NotAProjectError(f"unreadable schema version {rows['schema_version']!r}") from None


def _write_version(conn: Connection, version: int) -> None:
    for key, value in (("application", APPLICATION), ("schema_version", str(version))):
        updated = conn.execute(text("UPDATE meta SET value = :v WHERE key = :k"), {"k": key, "v": value})
        if updated.rowcount == 0:
            conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": key, "v": value})


def ensure_schema(engine: Engine, *, create: bool, migrations: list[Migration] | None = None,
                  target: int = SCHEMA_VERSION) -> int:
    """Create the schema (``create``) or upgrade it to ``target``; return the version found before."""
    steps = MIGRATIONS if migrations is None else migrations
    check_migrations(steps, target)
    with engine.connect() as conn:
        found = read_version(conn)
        conn.rollback()
    if found == target:
        return found
    if found is None and not create:
        if is_sqlite(engine):
            raise NotAProjectError("not a Polarity Studio project (the file is empty)")
        raise NotAProjectError("not a Polarity Studio project (the database is empty; "
                               "`polarity project init --db URL` creates one)")
    if found is not None and found > target:
        raise SchemaTooNewError(
            f"the project was written by a newer Polarity Studio (schema {found}, this program knows "
            f"up to {target}); update the program to open it")
    if found is not None:
        _backup(engine, found)
    with writer(engine).begin() as conn:
        found = read_version(conn)  # again, under the write lock: another process may have won
        if found is None:
            Base.metadata.create_all(conn)
            _write_version(conn, target)
            create_text_index(conn)
            return 0
        for step in steps:
            if found < step.version <= target:
                log.info("migrating project schema to version %d: %s", step.version, step.description)
                step.apply(conn)
                _write_version(conn, step.version)
    return found


def _backup(engine: Engine, version: int) -> Path | None:
    """Copy a SQLite project before it is migrated (``VACUUM INTO`` writes a consistent copy)."""
    if not is_sqlite(engine):
        return None
    path = sqlite_path(engine.url)
    if path is None:
        return None
    target = path.with_name(f"{path.name}.v{version}.bak")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.v{version}.{n}.bak")
    raw = engine.raw_connection()  # VACUUM cannot run inside the transaction SQLAlchemy would begin
    try:
        raw.driver_connection.execute("VACUUM INTO ?", (str(target),))
    except Exception as exc:  # pragma: no cover - disk full, read-only folder
        raise StoreError(f"could not back up {path} before upgrading it: {exc}") from exc
    finally:
        raw.close()
    return target
