"""The base of the app's one-lane readers (stats, the term's annotators, the aspect summary): one
long-lived thread with its own connection to the open project, opened again when the project
changes and closed on that thread at shutdown (a connection lives and dies on its lane)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from app.services.poll_service import _Connection
from app.workers.worker import Worker, WorkerLane


def close_job(conn: _Connection, *, on_progress: Any, should_stop: Any) -> None:
    conn.close()


class ProjectLaneService(QObject):
    """``_lane`` / ``_conn`` are None while no project is open; ``_generation`` grows with each
    project, so answers for a closed one are told apart and dropped by the subclass."""

    def __init__(self, lane_name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lane_name = lane_name
        self._lane: WorkerLane | None = None
        self._conn: _Connection | None = None
        self._generation = 0

    def _open_lane(self, target: str | None, models_dir: str | None) -> None:
        """Close the old project's lane and, with a ``target``, start one on it."""
        self._generation += 1
        self.shutdown()
        if target is not None:
            self._conn = _Connection(target, models_dir)
            self._lane = WorkerLane(self._lane_name, self)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        lane, conn, self._lane, self._conn = self._lane, self._conn, None, None
        if lane is None or conn is None:
            return True
        done = lane.stop(timeout_ms, last=Worker(close_job, conn))
        if done:
            lane.deleteLater()
        return done
