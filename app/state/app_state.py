"""The open project, shared by the controllers, and the signals that say what changed in it.

Controllers never call each other: they change the store, then announce it here; whoever shows
that part of the store listens. The ``Project`` lives in the GUI thread (SQLite connections do
not cross threads); workers open their own from ``str(state.path)``.

A team project on a database server is opened from a URL. Its password never travels with it:
``open`` takes it off the URL and keeps it in this process's memory (``core.storage.credentials``,
whose ``do_connect`` hook hands it to every connection to that server, the workers' too).
So ``state.path``, the recent list, the settings and every log line hold the URL without it.
Jobs get the location and the models folder explicitly (``state.job_target()``), never through
the environment, so a worker opens the project exactly as the GUI did.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from sqlalchemy.engine import URL

from app.context import AppContext
from core.storage import ENV_MODELS_DIR, LabelEvent, Project
from core.storage.credentials import known_password, knows_password, remember_password
from core.storage.db import display, sqlite_path, to_url

__all__ = ["AppState", "is_url", "split_url", "plain_url", "remember_password", "knows_password"]

log = logging.getLogger(__name__)

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
    projectClosing = Signal()        # the open project is about to close (remember where it was left)
    labelsChanged = Signal(object)   # frozenset of sentence ids whose terms or labels changed
    othersLabeled = Signal(object)   # frozenset of sentence ids labeled elsewhere (another person or window)
    datasetChanged = Signal()        # sentences added (import): lists and counts start over
    modelsChanged = Signal()         # a version was added, activated or deleted
    predictionsChanged = Signal()    # stored predictions were (re)written in the background
    suggestionsChanged = Signal(object)  # frozenset of sentence ids whose suggestions were accepted or rejected
    termShown = Signal(object)       # the TermRecord now on screen (None: none, or a span not yet a term)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.project: Project | None = None
        self.path: Path | str | None = None  # the file, or a server's URL (no password): what workers open
        self.own_events: set[int] = set()    # label rows this window wrote (the poll skips them)
        self.event_marker = 0                # the newest label row when the project was opened

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
                    restore = (url, known_password(url))
                    remember_password(url, password or in_url)
                target = plain_url(url)
        else:
            target = Path(where).expanduser().resolve()
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
            raise
        self.close(announce=False)
        self.project, self.path, self.event_marker = project, target, marker
        self.own_events.clear()
        log.info("project %s opened (author %s)", project.location, project.author)
        self.projectChanged.emit()
        return project

    def close(self, announce: bool = True) -> None:
        if self.project is not None:
            self.projectClosing.emit()
            self.project.close()
        self.project, self.path = None, None
        if announce:
            self.projectChanged.emit()

    def user_models_dir(self) -> str | None:
        """$POLARITY_MODELS_DIR as the person set it (read, never written: jobs get the folder explicitly)."""
        return os.environ.get(ENV_MODELS_DIR) or None

    def job_target(self) -> tuple[str, str | None]:
        """(location, models folder) for a job that opens its own connection to the open project.

        A file project finds its models beside it; a server project's folder is passed on as the
        GUI resolved it, so a worker never depends on the environment or the stored setting."""
        if self.path is None or self.project is None:
            raise RuntimeError("no project is open")
        return str(self.path), (str(self.project.models_dir) if self.is_server else None)

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
