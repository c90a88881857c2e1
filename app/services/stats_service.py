"""The project's counts, read off the GUI thread: labels per polarity, labeled of all terms.

A label key press asks for fresh counts; they arrive a moment later as ``stats`` (a
``ProjectStats``). Requests while a read runs are folded into one more read after it, so a fast
labeler never queues a read per key. The reads run on one lane with its own connection.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.services.poll_service import _Connection, failure_text
from app.services.project_lane import ProjectLaneService
from app.workers.worker import Worker

log = logging.getLogger(__name__)


def _stats_job(conn: _Connection, generation: int, *, on_progress: Any, should_stop: Any) -> tuple[int, Any]:
    try:
        return generation, conn.get().stats()
    except Exception:
        conn.close()  # the next read opens a fresh connection
        raise


def open_suggestions_job(conn: _Connection, generation: int, *, on_progress: Any, should_stop: Any) -> tuple[int, int]:
    """How many sentences have open suggestions (a count over the whole project: never on the GUI thread)."""
    try:
        return generation, conn.get().count_with_suggestions()
    except Exception:
        conn.close()
        raise


class StatsService(ProjectLaneService):
    """Reads one count of the open project off the GUI thread: by default its ``ProjectStats``;
    ``job`` reads something else (``open_suggestions_job``: the sentences with open suggestions)."""

    stats = Signal(object)  # what ``job`` read: ProjectStats of the open project, by default

    def __init__(self, parent: QObject | None = None, job: Any = _stats_job, name: str = "stats") -> None:
        super().__init__(name, parent)
        self._job, self._name = job, name
        self._busy = False
        self._again = False

    def set_project(self, target: str | None, models_dir: str | None = None) -> None:
        """Read counts of ``target`` from now on (None: no project); the old connection closes."""
        self._busy = self._again = False
        self._open_lane(target, models_dir)

    def request(self) -> None:
        if self._lane is None or self._conn is None:
            return
        if self._busy:
            self._again = True
            return
        self._busy = True
        worker = Worker(self._job, self._conn, self._generation, quiet=True)
        worker.finished.connect(self._on_read)
        worker.failed.connect(self._on_failed)
        self._lane.submit(worker)

    @Slot(object)
    def _on_read(self, answer: tuple[int, Any]) -> None:
        generation, stats = answer
        if generation != self._generation:
            return
        self._busy = False
        self.stats.emit(stats)
        if self._again:
            self._again = False
            self.request()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._busy = False
        log.warning("cannot read the project's %s: %s", self._name, failure_text(message))
