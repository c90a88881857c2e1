"""Text search over sentences: an FTS5 trigram index on SQLite, a ``pg_trgm`` index on PostgreSQL.

A substring search by LIKE reads every sentence (~20-70 ms at 100k); a trigram index answers
it in a few milliseconds. On SQLite the index is an external-content FTS5 table kept in step
with ``sentences`` by triggers, so no write path has to remember it. On PostgreSQL it is a GIN
index with ``gin_trgm_ops``, which the planner uses for ``ILIKE '%text%'`` by itself. Where the
index cannot be made (an SQLite without FTS5 or its trigram tokenizer; a PostgreSQL role that
may not create the ``pg_trgm`` extension) and for queries shorter than three characters (no
trigram to look up), the same LIKE / ILIKE scan runs: same results, only slower.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator

from sqlalchemy import Connection, ColumnElement, Select, column, literal_column, select, table, text

from core.storage.schema import Sentence

FTS_TABLE = "sentences_fts"
META_KEY = "text_index"
FTS_KIND = "fts5-trigram"
TRGM_KIND = "pg_trgm"
TRGM_INDEX = "ix_sentences_text_trgm"
log = logging.getLogger(__name__)

_INSERT_TRIGGER = (f"CREATE TRIGGER sentences_fts_insert AFTER INSERT ON sentences BEGIN "
                   f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END")
_DDL = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, content='sentences', content_rowid='id', "
    "tokenize='trigram')",
    _INSERT_TRIGGER,
    f"CREATE TRIGGER sentences_fts_delete AFTER DELETE ON sentences BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER sentences_fts_update AFTER UPDATE OF text ON sentences BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
]

_fts = table(FTS_TABLE, column("rowid"))


def create_text_index(conn: Connection) -> bool:
    """Create the trigram index, fill it, and note it in ``meta`` (False: searches will scan)."""
    if conn.dialect.name == "postgresql":
        return _create_trgm_index(conn)
    if conn.dialect.name != "sqlite":
        return False
    try:
        with conn.begin_nested():
            for statement in _DDL:
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}(rowid, text) SELECT id, text FROM sentences")
            _note(conn, FTS_KIND)
    except Exception:  # no FTS5, or no trigram tokenizer (SQLite < 3.34): LIKE it is
        return False
    return True


def _create_trgm_index(conn: Connection) -> bool:
    try:
        with conn.begin_nested():  # a failure rolls back to here; the schema itself stays
            # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            conn.exec_driver_sql(f"CREATE INDEX {TRGM_INDEX} ON sentences USING gin (text gin_trgm_ops)")
            _note(conn, TRGM_KIND)
    except Exception as exc:
        log.warning("no trigram index for text search (%s); searches will scan the sentences",
                    str(getattr(exc, "orig", exc)).splitlines()[0])
        return False
    return True


def _note(conn: Connection, kind: str) -> None:
    conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": META_KEY, "v": kind})


@contextmanager
def bulk_insert_sentences(conn: Connection) -> Iterator[Callable[[list[int]], None]]:
    """For bulk inserts of sentences inside a write transaction: the per-row trigger (12 s per
    100k rows) is dropped and each batch of new rows is indexed in one statement (3 s) instead.

        with bulk_insert_sentences(conn) as index_new:
            ids = insert_rows(...)
            index_new(ids)      # once per insert: a streamed import indexes as it goes

    Being DDL inside the transaction, a rollback restores the trigger as well.
    """
    active = conn.dialect.name == "sqlite" and text_index_kind(conn) == FTS_KIND

    def index_new(ids: list[int]) -> None:
        if active and ids:
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}(rowid, text) SELECT id, text FROM sentences "
                                 "WHERE id BETWEEN ? AND ?", (min(ids), max(ids)))

    if active:
        conn.exec_driver_sql("DROP TRIGGER sentences_fts_insert")
    yield index_new
    if active:
        conn.exec_driver_sql(_INSERT_TRIGGER)


def text_index_kind(conn: Connection) -> str | None:
    return conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": META_KEY}).scalar()


def matching_ids(text: str, kind: str | None, dialect: str) -> Select[tuple[int]]:
    """Ids of the sentences containing ``text`` (case-insensitive). On PostgreSQL the ILIKE of
    ``like_condition`` is what the trigram index serves, so it needs no query of its own."""
    if kind == FTS_KIND and len(text) >= 3:
        phrase = '"' + text.replace('"', '""') + '"'
        return select(_fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(phrase))
    return select(Sentence.id).where(like_condition(text, dialect))


def like_condition(text: str, dialect: str) -> ColumnElement[bool]:
    """Substring match by LIKE (SQLite's LIKE ignores ASCII case; ``lower()`` would not help
    other letters without ICU, and is slower)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if dialect == "sqlite":
        return Sentence.text.like(f"%{escaped}%", escape="\\")
    return Sentence.text.ilike(f"%{escaped}%", escape="\\")
