"""The aspect summary and "label every occurrence", off the GUI thread.

Everything runs on one lane with its own connection to the open project, in the order asked:
the summary (``aspect_summary`` reads every term and open suggestion, seconds on a large
project), the CSV export, and the preview and writing of "label every occurrence". Summary
requests while one runs are folded into one more read after it (the newest options win), so a
fast labeler never queues a read per key. Answers for a project closed meanwhile are dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.services.poll_service import _Connection, failure_text
from app.services.project_lane import ProjectLaneService
from app.workers.worker import Worker
from core.domain import Polarity
from core.storage.summary import write_summary_csv

log = logging.getLogger(__name__)
EXAMPLES = 3  # example sentences per aspect (the tooltip shows the first)


@dataclass(frozen=True)
class SummaryQuery:
    top: int | None = 15
    accepted_only: bool = False


@dataclass(frozen=True)
class SummaryAnswer:
    query: SummaryQuery
    rows: tuple[Any, ...]   # AspectSummary rows, most mentioned first


def _guarded(conn: _Connection, fn: Any) -> Any:
    try:
        return fn(conn.get())
    except Exception:
        conn.close()  # the next job opens a fresh connection
        raise


def _summary_job(conn: _Connection, generation: int, query: SummaryQuery, *, on_progress: Any,
                 should_stop: Any) -> tuple[int, SummaryAnswer]:
    rows = _guarded(conn, lambda p: p.aspect_summary(top=query.top, accepted_only=query.accepted_only,
                                                      examples=EXAMPLES))
    return generation, SummaryAnswer(query, tuple(rows))


def _export_job(conn: _Connection, path: str, accepted_only: bool, *, on_progress: Any,
                should_stop: Any) -> tuple[str, int]:
    """Every aspect (not only the top N shown), written atomically."""
    rows = _guarded(conn, lambda p: p.aspect_summary(accepted_only=accepted_only, examples=1))
    write_summary_csv(path, rows)
    return path, len(rows)


def _preview_job(conn: _Connection, needle: str, *, on_progress: Any, should_stop: Any) -> Any:
    return _guarded(conn, lambda p: p.preview_label_everywhere(needle))


def _apply_job(conn: _Connection, needle: str, polarity: Polarity | None, author: str | None, *,
               on_progress: Any, should_stop: Any) -> list[Any]:
    return _guarded(conn, lambda p: p.label_everywhere(needle, polarity, author=author))


class SummaryService(ProjectLaneService):
    summary = Signal(object)        # SummaryAnswer
    summaryFailed = Signal(str)
    exported = Signal(str, int)     # path, rows written
    exportFailed = Signal(str)
    previewed = Signal(object)      # LabelEverywherePreview
    applied = Signal(object)        # list of the TermRecords added
    labelFailed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("summary", parent)
        self._busy = False
        self._again: SummaryQuery | None = None

    def set_project(self, target: str | None, models_dir: str | None = None) -> None:
        """Work on ``target`` from now on (None: no project); the old connection closes on its lane."""
        self._busy, self._again = False, None
        self._open_lane(target, models_dir)

    @property
    def busy(self) -> bool:
        return self._busy

    def request(self, query: SummaryQuery) -> bool:
        """Compute the summary for ``query``; False when no project is open."""
        if self._lane is None or self._conn is None:
            return False
        if self._busy:
            self._again = query
            return True
        self._busy = True
        self._submit(Worker(_summary_job, self._conn, self._generation, query, quiet=True),
                     self._on_summary, self._on_summary_failed)
        return True

    def export(self, path: str, accepted_only: bool) -> bool:
        if self._lane is None or self._conn is None:
            return False
        self._submit(Worker(_export_job, self._conn, path, accepted_only), self._on_exported, self._on_export_failed)
        return True

    def preview(self, needle: str) -> bool:
        if self._lane is None or self._conn is None:
            return False
        self._submit(Worker(_preview_job, self._conn, needle), self._on_previewed, self._on_label_failed)
        return True

    def apply(self, needle: str, polarity: Polarity | None, author: str | None) -> bool:
        if self._lane is None or self._conn is None:
            return False
        self._submit(Worker(_apply_job, self._conn, needle, polarity, author), self._on_applied,
                     self._on_label_failed)
        return True

    def _submit(self, worker: Worker, done: Any, failed: Any) -> None:
        """``done`` / ``failed`` are this object's slots (bound methods: they run on the GUI thread)."""
        worker.finished.connect(done)
        worker.failed.connect(failed)
        assert self._lane is not None
        self._lane.submit(worker)

    @Slot(object)
    def _on_summary(self, answer: tuple[int, SummaryAnswer]) -> None:
        generation, result = answer
        if generation != self._generation:
            return
        self._busy = False
        again, self._again = self._again, None
        if again is not None:
            self.request(again)  # newer options or data: this answer is already stale
            if again != result.query:
                return
        self.summary.emit(result)

    @Slot(str)
    def _on_summary_failed(self, message: str) -> None:
        self._busy = False
        log.warning("cannot compute the aspect summary: %s", failure_text(message))
        self.summaryFailed.emit(failure_text(message))
        if self._again is not None:
            again, self._again = self._again, None
            self.request(again)

    @Slot(object)
    def _on_exported(self, answer: tuple[str, int]) -> None:
        self.exported.emit(*answer)

    @Slot(str)
    def _on_export_failed(self, message: str) -> None:
        self.exportFailed.emit(message)

    @Slot(object)
    def _on_previewed(self, preview: Any) -> None:
        self.previewed.emit(preview)

    @Slot(object)
    def _on_applied(self, terms: Any) -> None:
        self.applied.emit(list(terms))

    @Slot(str)
    def _on_label_failed(self, message: str) -> None:
        self.labelFailed.emit(message)
