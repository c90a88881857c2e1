"""Passwords of database servers, kept in this process's memory and never in a URL or a file.

A team project is opened from a URL without its password; ``remember_password`` keeps it here
and a SQLAlchemy ``do_connect`` hook hands it to every connection to that server, database and
user, a worker thread's too. So locations, recent lists, settings and log lines hold the URL
without it, and a job needs only the location (and models folder) it is given.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

_PASSWORDS: dict[tuple[str, int, str, str], str] = {}  # (host, port, user, database) -> password
DEFAULT_PG_PORT = 5432


def _server_key(host: Any, port: Any, user: Any, database: Any) -> tuple[str, int, str, str]:
    return str(host or ""), int(port or DEFAULT_PG_PORT), str(user or ""), str(database or "")


def remember_password(url: URL, password: str | None) -> None:
    """Use ``password`` for connections to ``url``'s server, database and user (this process only)."""
    key = _server_key(url.host, url.port, url.username, url.database)
    if password:
        _PASSWORDS[key] = password
    else:
        _PASSWORDS.pop(key, None)


def known_password(url: URL) -> str | None:
    return _PASSWORDS.get(_server_key(url.host, url.port, url.username, url.database))


def knows_password(url: URL) -> bool:
    return known_password(url) is not None


@event.listens_for(Engine, "do_connect")
def _supply_password(dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
    if dialect.name == "postgresql" and not cparams.get("password"):
        known = _PASSWORDS.get(_server_key(cparams.get("host"), cparams.get("port"), cparams.get("user"),
                                           cparams.get("dbname")))
        if known:
            cparams["password"] = known
