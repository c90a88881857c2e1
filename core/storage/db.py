"""Engine creation: a file path or a database URL in, a configured SQLAlchemy engine out.

SQLite (the desktop default) runs in WAL mode with foreign keys on and ``synchronous=FULL``:
a committed label survives a killed process and a power cut. Write transactions start with
``BEGIN IMMEDIATE`` so two connections (the GUI and a training thread) queue for the write lock
under ``busy_timeout`` instead of failing with "database is locked" when a read turns into a write.

Everything SQLite-specific sits behind ``is_sqlite``: a later issue can pass a
``postgresql+psycopg://`` URL here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

BUSY_TIMEOUT_MS = 15_000
IMMEDIATE = "polarity_immediate"  # execution option: start the transaction with BEGIN IMMEDIATE


def to_url(path_or_url: str | Path) -> URL:
    """``project.db`` -> ``sqlite:////abs/project.db``; strings with ``://`` are taken as URLs."""
    text = str(path_or_url)
    if "://" in text:
        return make_url(text)
    return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))


def is_sqlite(url: URL | Engine) -> bool:
    if isinstance(url, Engine):
        url = url.url
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL (None for in-memory or other databases)."""
    if not is_sqlite(url) or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def connect(path_or_url: str | Path, **engine_kwargs: Any) -> Engine:
    """Create an engine for a project; does not create or check the schema (see ``Project``)."""
    url = to_url(path_or_url)
    if not is_sqlite(url):
        return create_engine(url, **engine_kwargs)
    engine = create_engine(url, **engine_kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the sqlite3 module) decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take the write lock at once (SQLite)."""
    return engine.execution_options(**{IMMEDIATE: True})
