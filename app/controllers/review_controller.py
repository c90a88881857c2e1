"""Team review in the window: the Agreement tab, each annotator's label of the chosen term,
a reviewer's final label (Ctrl+1 / 2 / 3), and "Accept predictions above X %" with its undo.

Agreement reads every annotator's history, and a bulk accept writes hundreds of rows: both run
in the one ``Worker`` (``app/services/review_service.py``) on their own connection; the chosen
term's annotators are read on a lane of their own (``TermReviewService``), so a label key still
costs the GUI thread one write and one read. An adjudication is one write at the key press, as a
label is; the sentence on screen is then re-read through ``othersLabeled``, the signal that
already means "these rows changed outside the labeling keys".
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot

from app.dialogs.accept_dialog import AcceptDialog
from app.dialogs.error_dialog import show_error
from app.services.review_service import TermReviewService, accept_job, agreement_job, undo_accept_job
from app.state.app_state import AppState
from app.views.main_window import MainWindow
from app.workers.worker import Worker, start_worker, stop_and_wait
from core.domain import Polarity
from core.storage import StoreError, TermRecord

log = logging.getLogger(__name__)
AGREEMENT_DELAY_MS = 600  # labels arriving key after key recompute the heatmap once, not per key
FINAL_KEYS = "Ctrl+1 / 2 / 3 set the final label"


class ReviewController(QObject):
    def __init__(self, window: MainWindow, state: AppState) -> None:
        super().__init__(window)
        self.w, self.state = window, state
        self.view = window.agreement_view
        self.term: TermRecord | None = None   # the term on screen
        self.review: Any = None               # its TermReview, once read (None meanwhile)
        self.reader = TermReviewService(self)
        self.is_reviewer = False              # the person's role in the open project (read when it opens)
        self.dialog: AcceptDialog | None = None
        self.last_report: Any = None          # the newest AgreementReport shown (tests read it)
        self._stale = True
        self._generation = 0                  # a project change drops the answers of jobs for the old one
        self._agreement: tuple[Any, Worker] | None = None
        self._agreement_generation = 0
        self._job: tuple[Any, Worker] | None = None  # a bulk accept, its dry run or its undo
        self._pending: tuple[Any, Any, tuple[Any, ...]] | None = None  # the newest job asked while one ran
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AGREEMENT_DELAY_MS)
        self._connect_callbacks()
        self._sync_actions()

    def _connect_callbacks(self) -> None:
        a = self.w.actions
        a["final_negative"].triggered.connect(self.final_negative)
        a["final_neutral"].triggered.connect(self.final_neutral)
        a["final_positive"].triggered.connect(self.final_positive)
        a["accept_predictions"].triggered.connect(self.accept_dialog)
        a["undo_accept"].triggered.connect(self.undo_accept)
        a["agreement"].triggered.connect(self.show_agreement)
        self.view.shown.connect(self._on_view_shown)
        self.view.refreshRequested.connect(self.compute_agreement)
        self._timer.timeout.connect(self._on_view_shown)
        self.state.projectChanged.connect(self._on_project_changed)
        self.state.termShown.connect(self._on_term_shown)
        self.reader.review.connect(self._on_review)
        for signal in (self.state.labelsChanged, self.state.othersLabeled):
            signal.connect(self._on_labels_changed)
        self.state.datasetChanged.connect(self._on_dataset_changed)

    def _sync_actions(self) -> None:
        has = self.state.project is not None
        for name in ("final_negative", "final_neutral", "final_positive"):
            self.w.actions[name].setEnabled(has and self.is_reviewer)
        for name in ("accept_predictions", "undo_accept"):
            self.w.actions[name].setEnabled(has and self._job is None)
        self.w.actions["agreement"].setEnabled(True)

    # ---- agreement -----------------------------------------------------------------------------
    @Slot()
    def show_agreement(self) -> None:
        self.w.show_tab("agreement")  # a stale report is recomputed as the tab shows
        if self._agreement is None and self._stale:
            self.compute_agreement()

    @Slot()
    def _on_view_shown(self) -> None:
        if self._stale and self.view.isVisible():
            self.compute_agreement()

    @Slot()
    def compute_agreement(self) -> None:
        """Compute the report off the GUI thread (one at a time; a change meanwhile asks again)."""
        if self.state.project is None:
            self.view.show_message("Open a project to see how its annotators agree.")
            return
        if self._agreement is not None:
            self._stale = True  # the running one may miss the newest labels: once more after it
            return
        self._stale = False
        self.view.show_busy()
        worker = Worker(agreement_job, *self.state.job_target())
        worker.finished.connect(self._on_agreement)
        worker.failed.connect(self._on_agreement_failed)
        worker.cancelled.connect(self._on_agreement_failed)
        self._agreement = (start_worker(worker, self), worker)
        self._agreement_generation = self._generation

    @Slot(object)
    def _on_agreement(self, report: Any) -> None:
        self._agreement = None
        if self._agreement_generation != self._generation:
            self._stale = True
        else:
            self.last_report = report
            self.view.show_report(report)
        self._on_view_shown()

    @Slot()
    @Slot(str)
    def _on_agreement_failed(self, message: str = "cancelled") -> None:
        self._agreement = None
        self.view.show_message(f"The agreement could not be computed: {message}")

    @Slot(object)
    def _on_labels_changed(self, _ids: Any = None) -> None:
        self._stale = True
        if self.view.isVisible():
            self._timer.start()

    @Slot()
    def _on_dataset_changed(self) -> None:
        self._on_labels_changed()

    @Slot()
    def _on_project_changed(self) -> None:
        self._generation += 1
        self._stale = True
        self.last_report = None
        project = self.state.project
        self.reader.set_project(*(self.state.job_target() if project is not None else (None, None)))
        try:
            self.is_reviewer = project is not None and project.author in project.reviewers()
        except StoreError as exc:
            log.warning("cannot read the reviewers: %s", exc)
            self.is_reviewer = False
        self._sync_actions()
        # the labeling controller (connected first) has shown the new project's first term already
        self._on_term_shown(self.term if project is not None else None)
        if project is None:
            self.view.show_message("Open a project to see how its annotators agree.")
        elif self.view.isVisible():
            self.compute_agreement()

    # ---- the chosen term's annotators ----------------------------------------------------------
    @Slot(object)
    def _on_term_shown(self, term: TermRecord | None) -> None:
        """A term on screen: its annotators' labels follow from the lane (the old ones go at once)."""
        same = term is not None and self.term is not None and term.id == self.term.id
        self.term = term
        if not same:
            self.review = None
            self.w.term_panel.show_review(())
        self.reader.request(term.id if term is not None and self.state.project is not None else None)

    @Slot(object)
    def _on_review(self, review: Any) -> None:
        if review is None or self.term is None or review.term_id != self.term.id:
            self.w.term_panel.show_review(())
            return
        self.review = review
        hint = FINAL_KEYS if self.is_reviewer and review.disagree and review.adjudicated is None else ""
        self.w.term_panel.show_review([(a.author, a.polarity) for a in review.annotators], review.final,
                                      review.adjudicated_by, hint)

    # ---- adjudication --------------------------------------------------------------------------
    @Slot()
    def final_negative(self) -> None:
        self.adjudicate(Polarity.NEGATIVE)

    @Slot()
    def final_neutral(self) -> None:
        self.adjudicate(Polarity.NEUTRAL)

    @Slot()
    def final_positive(self) -> None:
        self.adjudicate(Polarity.POSITIVE)

    def adjudicate(self, label: Polarity) -> bool:
        """The reviewer's final label of the chosen term, when its annotators disagree."""
        project, term = self.state.project, self.term
        if project is None or term is None:
            self.w.show_message("Pick a term first", 3000)
            return False
        review = self.review
        if review is None or review.term_id != term.id:
            self.w.show_message("Still reading the annotators' labels of this term; press again", 3000)
            return False
        if not review.disagree:
            self.w.show_message("The annotators do not disagree on this term: nothing to settle", 4000)
            return False
        try:
            event = project.adjudicate(term.id, label)
        except StoreError as exc:
            show_error(self.w, "The final label was not saved", exc)
            return False
        self.state.note_own(event)
        self.w.show_message(f"“{term.text}”: final label {label.value}", 3000)
        self.state.othersLabeled.emit(frozenset({term.sentence_id}))  # re-read the sentence on screen
        self.state.labelsChanged.emit(frozenset({term.sentence_id}))
        return True

    # ---- bulk accept ---------------------------------------------------------------------------
    @Slot()
    def accept_dialog(self) -> AcceptDialog | None:
        """Ask first: the dialog shows the dry run of its threshold, then accepting runs as one batch."""
        if self.state.project is None or self._job is not None:
            return None
        if self.dialog is not None:
            self.dialog.close()
        dialog = AcceptDialog(self.w)
        dialog.thresholdChanged.connect(self._preview)
        dialog.accepted.connect(self._on_dialog_accepted)
        self.dialog = dialog
        dialog.open()
        dialog.ask_preview()
        return dialog

    @Slot(float)
    def _preview(self, min_confidence: float) -> None:
        self._run(accept_job, self._on_preview, *self.state.job_target(), min_confidence, self.state.author, True)

    @Slot(object)
    def _on_preview(self, report: Any) -> None:
        if self.dialog is not None:
            self.dialog.show_preview(report)

    @Slot()
    def _on_dialog_accepted(self) -> None:
        if self.dialog is None or self.state.project is None:
            return
        target = self.state.job_target()
        self._run(accept_job, self._on_accepted, *target, self.dialog.min_confidence(), self.state.author, False)
        self.w.show_message("Accepting confident predictions…")

    @Slot(object)
    def _on_accepted(self, report: Any) -> None:
        self.w.show_message(f"Accepted {report.accepted} predictions at ≥ {report.min_confidence * 100:.0f} % "
                            f"(v{report.model_version_id}); Review ▸ Undo takes them back", 8000)
        self.state.datasetChanged.emit()  # hundreds of rows changed: the list and counts start over

    @Slot()
    def undo_accept(self) -> None:
        if self.state.project is not None:
            self._run(undo_accept_job, self._on_undone, *self.state.job_target(), self.state.author)

    @Slot(object)
    def _on_undone(self, report: Any) -> None:
        kept = f"; {report.kept} labeled since kept" if report.kept else ""
        self.w.show_message(f"Bulk accept {report.batch_id} undone: {report.undone} terms unlabeled again{kept}", 8000)
        self.state.datasetChanged.emit()

    def _run(self, fn: Any, done: Any, *args: Any) -> None:
        """One review job at a time: one asked meanwhile runs after it (only the newest such one)."""
        if self._job is not None:
            self._pending = (fn, done, args)
            return
        worker = Worker(fn, *args)
        worker.finished.connect(self._on_job_done)
        worker.finished.connect(done)
        worker.failed.connect(self._on_job_failed)
        worker.cancelled.connect(self._on_job_done)
        self._job = (start_worker(worker, self), worker)
        self._sync_actions()

    @Slot()
    @Slot(object)
    def _on_job_done(self, _result: Any = None) -> None:
        self._job = None
        self._sync_actions()
        if self._pending is not None:
            fn, done, args = self._pending
            self._pending = None
            self._run(fn, done, *args)

    @Slot(str)
    def _on_job_failed(self, message: str) -> None:
        self._on_job_done()
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.show_failure(message)
        else:
            self.w.show_message(message, 8000)

    def shutdown(self) -> None:
        self.reader.shutdown()
        for job in (self._job, self._agreement):
            if job is not None:
                stop_and_wait(*job, timeout_ms=30000)
        self._job = self._agreement = None
