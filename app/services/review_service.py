"""Team review off the GUI thread: agreement, a bulk accept (or its dry run), its undo, and
each annotator's label of the chosen term (``TermReviewService``, on a lane of its own).

Plain functions, each opening its own connection from the location and models folder it is
given (``AppState.job_target()``), as the import and export jobs do: agreement reads every
annotator's history, and a bulk accept writes hundreds of rows in one transaction; neither
should hold the window.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.services.poll_service import _Connection, failure_text
from app.services.project_lane import ProjectLaneService
from app.workers.worker import Worker
from core.storage import Project, StoreError

log = logging.getLogger(__name__)


def agreement_job(project: str, models_dir: str | None, *, on_progress: Any, should_stop: Any) -> Any:
    """The project's ``AgreementReport`` (every annotator's own newest label of every term)."""
    with Project.open(project, recover_runs=False, models_dir=models_dir) as store:
        return store.agreement()


def accept_job(project: str, models_dir: str | None, min_confidence: float, author: str | None, dry_run: bool, *,
               on_progress: Any, should_stop: Any) -> Any:
    """An ``AcceptReport``: what accepting at ``min_confidence`` would label (``dry_run``), or the batch written."""
    with Project.open(project, recover_runs=False, author=author, models_dir=models_dir) as store:
        return store.accept_predictions(min_confidence, author=author, dry_run=dry_run)


def undo_accept_job(project: str, models_dir: str | None, author: str | None, *,
                    on_progress: Any, should_stop: Any) -> Any:
    """Take the newest bulk accept not yet undone back in one step (an ``UndoAcceptReport``)."""
    with Project.open(project, recover_runs=False, author=author, models_dir=models_dir) as store:
        return store.undo_accept(author=author)


def _term_review_job(conn: _Connection, generation: int, term_id: int, *, on_progress: Any,
                     should_stop: Any) -> tuple[int, int, Any]:
    try:
        return generation, term_id, conn.get().annotator_labels(term_id)
    except StoreError:
        return generation, term_id, None  # the term went away meanwhile: nothing to show
    except Exception:
        conn.close()  # the next read opens a fresh connection
        raise


class TermReviewService(ProjectLaneService):
    """Each annotator's label of the chosen term, read on a lane with its own connection, so a
    label key still costs the GUI thread one write and one read. Only the newest term asked for
    is read once the read under way ends; answers for another term or project are dropped."""

    review = Signal(object)  # TermReview of the term asked for last (None: it is gone)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("term-review", parent)
        self._busy = False
        self._wanted: int | None = None  # the term whose review should be on screen
        self._asked: int | None = None   # the term the running read is for

    def set_project(self, target: str | None, models_dir: str | None = None) -> None:
        self._busy, self._wanted = False, None
        self._open_lane(target, models_dir)

    def request(self, term_id: int | None) -> None:
        self._wanted = term_id
        if term_id is None or self._lane is None or self._conn is None or self._busy:
            return
        self._busy, self._asked = True, term_id
        worker = Worker(_term_review_job, self._conn, self._generation, term_id, quiet=True)
        worker.finished.connect(self._on_read)
        worker.failed.connect(self._on_failed)
        self._lane.submit(worker)

    @Slot(object)
    def _on_read(self, answer: tuple[int, int, Any]) -> None:
        generation, term_id, review = answer
        if generation != self._generation:
            return
        self._busy = False
        if term_id == self._wanted:
            self.review.emit(review)
        elif self._wanted is not None:
            self.request(self._wanted)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._busy = False
        log.warning("cannot read the term's annotators: %s", failure_text(message))
