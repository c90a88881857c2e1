"""The open project, shared by the controllers, and the signals that say what changed in it.

Controllers never call each other: they change the store, then announce it here; whoever shows
that part of the store listens. The ``Project`` lives in the GUI thread (SQLite connections do
not cross threads); workers open their own by path.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.context import AppContext
from core.storage import Project

log = logging.getLogger(__name__)


class AppState(QObject):
    projectChanged = Signal()        # a project was opened (or closed: project is None)
    labelsChanged = Signal(object)   # frozenset of sentence ids whose terms or labels changed
    datasetChanged = Signal()        # sentences added (import): lists and counts start over
    modelsChanged = Signal()         # a version was added, activated or deleted
    predictionsChanged = Signal()    # stored predictions were (re)written in the background

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.project: Project | None = None
        self.path: Path | None = None

    def open(self, path: str | Path) -> Project:
        """Open ``path`` (raising the store's error if it is not a project) and announce it."""
        project = Project.open(Path(path))
        self.close(announce=False)
        self.project, self.path = project, Path(path).resolve()
        log.info("project %s opened", self.path)
        self.projectChanged.emit()
        return project

    def close(self, announce: bool = True) -> None:
        if self.project is not None:
            self.project.close()
        self.project, self.path = None, None
        if announce:
            self.projectChanged.emit()

    @property
    def name(self) -> str | None:
        return self.path.stem if self.path is not None else None
