"""Engine creation: a file path or a database URL in, a configured SQLAlchemy engine out.

SQLite (the desktop default) runs in WAL mode with foreign keys on and ``synchronous=FULL``:
a committed label survives a killed process and a power cut. Write transactions start with
``BEGIN IMMEDIATE`` so two connections (the GUI and a training thread) queue for the write lock
under ``busy_timeout`` instead of failing with "database is locked" when a read turns into a write.

PostgreSQL (a team project, ``postgresql+psycopg://...``) gets the same two guarantees by other
means: every write transaction first takes one transaction-scoped advisory lock, so writers queue
exactly as on SQLite (label writes are milliseconds), and because ids are drawn from sequences
*inside* that lock, label ids commit in id order: a client polling ``id > marker`` never skips a
row that committed late. Writes run at READ COMMITTED (each statement after the lock sees every
earlier commit); reads run at REPEATABLE READ, read-only, so a read transaction is one snapshot,
like a SQLite read transaction in WAL mode.

Passwords: ``display`` and ``mask`` keep them out of every message, location and log line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from core.storage.errors import StoreError

BUSY_TIMEOUT_MS = 15_000
IMMEDIATE = "polarity_immediate"  # execution option: a write transaction (takes the write lock first)
# Class id of the advisory lock ("pola"); the object id is the schema, so two projects in two
# schemas of one database do not wait for each other.
PG_LOCK_CLASS = 0x706F6C61
PG_CONNECT_TIMEOUT_S = 10
# user:password@ after a scheme; greedy up to the last "@" so a password holding "@" or "/" is
# masked whole (masking too much beats showing a piece of a password).
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)\S*@")


def mask(text: str, url: URL | None = None) -> str:
    """``text`` with any URL password (and ``url``'s password wherever it appears) shown as ***."""
    if url is not None and url.password and len(str(url.password)) >= 4:  # "a" would mangle every word
        for form in {str(url.password), quote_plus(str(url.password))}:
            text = text.replace(form, "***")
    return _PASSWORD_IN_URL.sub(r"\1***@", text)


def display(url: URL) -> str:
    """How a database is named in messages: the URL with its password as ***."""
    return url.render_as_string(hide_password=True)


def to_url(path_or_url: str | Path | URL) -> URL:
    """``project.db`` -> ``sqlite:////abs/project.db``; strings with ``://`` are taken as URLs."""
    if isinstance(path_or_url, URL):
        return path_or_url
    text = str(path_or_url)
    if "://" in text:
        try:
            return make_url(text)
        except Exception as exc:  # its message quotes the whole URL, password and all
            raise StoreError(f"{mask(text)}: not a database URL ({mask(str(exc), None).splitlines()[0]})") from None
    return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))


def is_sqlite(url: URL | Engine) -> bool:
    if isinstance(url, Engine):
        url = url.url
    return url.get_backend_name() == "sqlite"


def is_postgres(url: URL | Engine) -> bool:
    if isinstance(url, Engine):
        url = url.url
    return url.get_backend_name() == "postgresql"


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL (None for in-memory or other databases)."""
    if not is_sqlite(url) or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def connect(path_or_url: str | Path | URL, **engine_kwargs: Any) -> Engine:
    """Create an engine for a project; does not create or check the schema (see ``Project``)."""
    url = to_url(path_or_url)
    if is_sqlite(url):
        engine = create_engine(url, **engine_kwargs)
        _configure_sqlite(engine)
        return engine
    if not is_postgres(url):
        raise StoreError(f"{display(url)}: unsupported database (use a project file or a postgresql+psycopg:// URL)")
    if url.get_driver_name() == "psycopg2":
        raise StoreError(f"{display(url)}: use the psycopg 3 driver (postgresql+psycopg://...)")
    if url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")  # plain postgresql:// would mean psycopg2
    if "connect_timeout" not in url.query:
        engine_kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    engine_kwargs.setdefault("pool_pre_ping", True)  # the app outlives server restarts and idle timeouts
    try:
        engine = create_engine(url, **engine_kwargs)
    except ImportError:
        raise StoreError("PostgreSQL support is not installed: pip install 'polarity-studio[postgres]' "
                         "(psycopg 3)") from None
    _configure_postgres(engine)
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


def _configure_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(IMMEDIATE):
            # coalesce: with no existing schema on the search path current_schema() is NULL, and the
            # lock function would then return NULL without locking anything.
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_CLASS}, "
                                 "hashtext(coalesce(current_schema(), '')))")


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take the write lock at once (both databases)."""
    options: dict[str, Any] = {IMMEDIATE: True}
    if is_postgres(engine):
        options["isolation_level"] = "READ COMMITTED"  # statements after the lock see every earlier commit
    return engine.execution_options(**options)


def reader(engine: Engine) -> Engine:
    """The engine for read transactions: on PostgreSQL one snapshot per transaction, read-only."""
    if is_postgres(engine):
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return engine
