"""Store backends for the store tests: every test that takes ``store_url`` (or ``store_factory``)
runs once on a SQLite file and once on PostgreSQL.

The PostgreSQL runs need ``POLARITY_TEST_PG_URL`` (``.ci/run`` starts a server and sets it, e.g.
``postgresql+psycopg://polarity@127.0.0.1:54329/polarity_test``) and are skipped, with the reason,
without it. Each store is a fresh schema of that database, reached through ``search_path`` in the
URL: creating a schema takes milliseconds where ``CREATE DATABASE`` takes about a second, and the
store code sees nothing but an ordinary URL. ``POLARITY_MODELS_DIR`` gives the server projects a
models folder under the test's tmp_path (children started by a test inherit it).
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # saved_schemas, the released DDL for the migration tests

PG_ENV = "POLARITY_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")
StoreFactory = Callable[..., "str | Path"]


def schema_url(base: str, schema: str) -> str:
    """``base`` with its connections' search_path set to ``schema`` (then public, for pg_trgm)."""
    from sqlalchemy.engine import make_url

    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema},public"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[tuple[Any, str]]:
    """(an autocommit engine on the test database, its URL); skips when there is no server."""
    base = os.environ.get(PG_ENV, "").strip()
    if not base:
        pytest.skip(f"PostgreSQL store tests need {PG_ENV}=postgresql+psycopg://USER@HOST:PORT/DB "
                    "(.ci/run starts a server and sets it)")
    try:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        engine = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            try:  # in public, so every test schema finds gin_trgm_ops through its search_path
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
            except Exception:  # the store then falls back to a scan, which the tests also cover
                pass
    except Exception as exc:
        from core.storage.db import mask

        pytest.skip(f"PostgreSQL at {mask(base)} is unreachable: {mask(str(exc)).splitlines()[0]}")
    yield engine, base
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_factory(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[StoreFactory]:
    """``make(name="p")``: where a new, empty project can be created: a file path, or a URL."""
    if backend == "sqlite":
        yield lambda name="p": tmp_path / f"{name}.db"
        return
    admin, base = request.getfixturevalue("pg_admin")
    monkeypatch.setenv("POLARITY_MODELS_DIR", str(tmp_path / "p.models"))
    schemas: list[str] = []

    def make(name: str = "p") -> str:
        schema = f"t_{name}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        schemas.append(schema)
        return schema_url(base, schema)

    yield make
    with admin.connect() as conn:
        conn.exec_driver_sql("SET lock_timeout = '10s'")  # a project a failed test left open must not hang us
        for schema in schemas:
            try:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            except Exception:  # pragma: no cover - left for the next server start to discard
                pass


@pytest.fixture
def store_url(store_factory: StoreFactory) -> str | Path:
    """A new, empty project location on the test's backend (``tmp_path/p.db`` on SQLite)."""
    return store_factory("p")
