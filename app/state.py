"""The open project, shared by the controllers, and the signals that say what changed in it.

Controllers never call each other: they change the store, then announce it here; whoever shows
that part of the store listens. The ``Project`` lives in the GUI thread (SQLite connections do
not cross threads); workers open their own from ``str(state.path)``.

A team project on a database server is opened from a URL. Its password never travels with it:
``open`` takes it off the URL and keeps it in this process's memory (``_PASSWORDS``), and a
SQLAlchemy ``do_connect`` hook hands it to every connection to that server, the workers' too.
So ``state.path``, the recent list, the settings and every log line hold the URL without it.
A server project's models folder is exported as ``$POLARITY_MODELS_DIR`` while it is open, so
workers that open the project from its URL (training, scoring) use the folder the GUI uses.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from app.context import AppContext
from core.storage import ENV_MODELS_DIR, LabelEvent, Project
from core.storage.db import display, sqlite_path, to_url

log = logging.getLogger(__name__)

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


def knows_password(url: URL) -> bool:
    return _server_key(url.host, url.port, url.username, url.database) in _PASSWORDS


@event.listens_for(Engine, "do_connect")
def _supply_password(dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
    if dialect.name == "postgresql" and not cparams.get("password"):
        known = _PASSWORDS.get(_server_key(cparams.get("host"), cparams.get("port"), cparams.get("user"),
                                           cparams.get("dbname")))
        if known:
            cparams["password"] = known


def is_url(where: str | Path) -> bool:
    return "://" in str(where)


def split_url(text: str) -> tuple[URL, str | None]:
    """(the URL without its password, the password); a bad URL raises StoreError (password masked)."""
    url = to_url(text.strip())
    # URL.set(password=None) would keep it (None means "unchanged" there)
    return url._replace(password=None), (str(url.password) if url.password is not None else None)


def plain_url(url: URL) -> str:
    """The URL as text, as it is stored and shown (it carries no password by then)."""
    return url.render_as_string(hide_password=False)


class AppState(QObject):
    projectChanged = Signal()        # a project was opened (or closed: project is None)
    labelsChanged = Signal(object)   # frozenset of sentence ids whose terms or labels changed
    othersLabeled = Signal(object)   # frozenset of sentence ids labeled elsewhere (another person or window)
    datasetChanged = Signal()        # sentences added (import): lists and counts start over
    modelsChanged = Signal()         # a version was added, activated or deleted
    predictionsChanged = Signal()    # stored predictions were (re)written in the background

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.project: Project | None = None
        self.path: Path | str | None = None  # the file, or a server's URL (no password): what workers open
        self.own_events: set[int] = set()    # label rows this window wrote (the poll skips them)
        self.event_marker = 0                # the newest label row when the project was opened
        self._env_models: tuple[bool, str | None] | None = None  # $POLARITY_MODELS_DIR before a server project

    def open(self, where: str | Path, *, password: str | None = None, models_dir: str | Path | None = None,
             author: str | None = None) -> Project:
        """Open a project file or a database URL (raising the store's error, password masked) and announce it.

        A password in the URL or in ``password`` is kept in memory for this server (see the module).
        """
        target: Path | str
        restore: tuple[URL, str | None] | None = None
        if is_url(where):
            url, in_url = split_url(str(where))
            file = sqlite_path(url)
            if file is not None:
                target = file
            else:
                if password or in_url:
                    restore = (url, _PASSWORDS.get(_server_key(url.host, url.port, url.username, url.database)))
                    remember_password(url, password or in_url)
                target = plain_url(url)
        else:
            target = Path(where).expanduser().resolve()
        self._restore_models_env()  # the folder another server project exported must not leak into this one
        try:
            project = Project.open(target, models_dir=models_dir or None, author=author or None)
            try:
                marker = project.latest_event_id()  # before anything reads the project: no later change is missed
            except Exception:
                project.close()
                raise
        except Exception:
            if restore is not None:  # a wrong password is not kept
                remember_password(*restore)
            if self.project is not None and self.is_server:
                self._export_models_env(self.project.models_dir)
            raise
        self.close(announce=False)
        self.project, self.path, self.event_marker = project, target, marker
        self.own_events.clear()
        if self.is_server:
            self._export_models_env(project.models_dir)
        log.info("project %s opened (author %s)", project.location, project.author)
        self.projectChanged.emit()
        return project

    def close(self, announce: bool = True) -> None:
        if self.project is not None:
            self.project.close()
        self._restore_models_env()
        self.project, self.path = None, None
        if announce:
            self.projectChanged.emit()

    def user_models_dir(self) -> str | None:
        """$POLARITY_MODELS_DIR as the person set it (not the value exported for an open server project)."""
        if self._env_models is not None:
            return self._env_models[1] if self._env_models[0] else None
        return os.environ.get(ENV_MODELS_DIR) or None

    def _export_models_env(self, folder: Path) -> None:
        if self._env_models is None:
            self._env_models = (ENV_MODELS_DIR in os.environ, os.environ.get(ENV_MODELS_DIR))
        os.environ[ENV_MODELS_DIR] = str(folder)

    def _restore_models_env(self) -> None:
        if self._env_models is not None:
            had, value = self._env_models
            if had:
                os.environ[ENV_MODELS_DIR] = value or ""
            else:
                os.environ.pop(ENV_MODELS_DIR, None)
            self._env_models = None

    def note_own(self, event: LabelEvent | None) -> None:
        """A label row this window wrote: the poll for others' changes need not reload it."""
        if event is not None:
            self.own_events.add(event.id)

    @property
    def is_server(self) -> bool:
        return isinstance(self.path, str)

    @property
    def url(self) -> URL | None:
        return to_url(self.path) if isinstance(self.path, str) else None

    @property
    def name(self) -> str | None:
        """Short name for titles: the file's stem, or "database on host"."""
        if isinstance(self.path, Path):
            return self.path.stem
        url = self.url
        if url is None:
            return None
        return f"{url.database or 'database'} on {url.host or 'localhost'}"

    @property
    def location(self) -> str | None:
        """The file, or the URL with any password as *** (for the status bar and messages)."""
        if self.path is None:
            return None
        return display(self.url) if self.url is not None else str(self.path)

    @property
    def author(self) -> str | None:
        return self.project.author if self.project is not None else None
