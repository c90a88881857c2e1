"""Suggest terms (Ctrl+Shift+T): one worker thread runs ``core.ml.terms.pipeline.suggest_project``
over the open project while labeling goes on; progress shows in the status bar, Escape (or its
Cancel button) stops it at the next chunk, and what was stored stays. At the end the sentence
list and counts start over, so the new suggestions show.

Right after a raw-text import it is offered with a "Suggest terms now" button rather than started
by itself: a raw file has no terms, so suggesting is the obvious next step, but loading the
extractor and reading every sentence takes a while on a large file (minutes at 100k sentences)
and competes with the person's first look at what they imported, so it stays their choice,
one click (or Enter: the button is the default) away.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox

from app.dialogs.error_dialog import show_error
from app.services.suggest_service import SuggestProgress, suggest_job
from app.state.app_state import AppState
from app.state.settings import Key
from app.views.main_window import MainWindow
from app.workers.worker import Worker, is_running, start_worker, stop_and_wait

log = logging.getLogger(__name__)


class SuggestController(QObject):
    done = Signal(object)  # core's SuggestReport when it finished; None when it failed or was cancelled

    def __init__(self, window: MainWindow, state: AppState, starter_extractor: Path | None = None) -> None:
        super().__init__(window)
        self.w, self.state = window, state
        self.starter_extractor = starter_extractor
        self.progress = window.job_progress
        self._worker: Worker | None = None
        self._thread: Any = None
        self.outcome: str | None = None  # "finished" / "cancelled" / "failed", for tests and logs
        self.offer: QMessageBox | None = None  # the "Suggest terms now?" box after a raw import
        self._connect_callbacks()
        self._sync_actions()

    def _connect_callbacks(self) -> None:
        a = self.w.actions
        a["suggest_terms"].triggered.connect(self.start)
        a["cancel_suggest"].triggered.connect(self.cancel)
        # Escape stops what runs in the background. Two enabled actions on one key would make Qt fire
        # neither, so while training runs its Escape action stops the suggestions too (and ours is off).
        a["cancel_training"].triggered.connect(self.cancel)
        a["cancel_training"].changed.connect(self._sync_actions)
        self.progress.cancelClicked.connect(self.cancel)
        self.state.projectChanged.connect(self._on_project_changed)

    @property
    def running(self) -> bool:
        return is_running(self._thread)

    def _sync_actions(self) -> None:
        busy = self._worker is not None
        self.w.actions["suggest_terms"].setEnabled(not busy and self.state.project is not None)
        self.w.actions["cancel_suggest"].setEnabled(busy and not self.w.actions["cancel_training"].isEnabled())

    @Slot()
    def _on_project_changed(self) -> None:
        """Another project: suggestions for the old one stop (what was stored there stays)."""
        self.cancel()
        self._sync_actions()

    # ---- start / cancel ------------------------------------------------------------------------
    @Slot()
    def start(self) -> bool:
        if self.state.project is None or self._worker is not None:
            return False
        folder = self.starter_extractor
        device = str(self.state.ctx.settings.get(Key.DEVICE))
        worker = Worker(suggest_job, *self.state.job_target(), str(folder) if folder else None, device)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self._worker, self.outcome = worker, None
        self._thread = start_worker(worker, self)
        self.progress.show_progress("Loading the term extractor…")
        self._sync_actions()
        return True

    @Slot()
    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.progress.show_stopping()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """For closeEvent: cancel, quit, wait (loading the extractor cannot be stopped halfway)."""
        if self._worker is None:
            return True
        return stop_and_wait(self._thread, self._worker, timeout_ms)

    # ---- progress and outcomes -----------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, event: Any) -> None:
        if self._worker is None or self._worker.should_stop() or not isinstance(event, SuggestProgress):
            return
        if event.phase == "loading":
            self.progress.show_progress("Loading the term extractor…")
        else:
            self.progress.show_progress(f"Suggesting terms: {event.done:,} of {event.total:,} sentences",
                                        event.done, event.total)

    def _end(self, outcome: str) -> None:
        self._worker, self.outcome = None, outcome
        self.progress.finish()
        self._sync_actions()

    @Slot(object)
    def _on_finished(self, report: Any) -> None:
        self._end("finished" if report is not None else "cancelled")
        if report is None:
            self.w.show_message("Term suggestions stopped", 5000)
            self.done.emit(None)
            return
        self.w.show_message(f"{report.added:,} new term suggestions in {report.sentences:,} sentences "
                            f"({report.known:,} already terms or decided; {report.seconds:.0f} s)", 10000)
        self.state.datasetChanged.emit()  # lists and counts start over: the suggestions show
        self.done.emit(report)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        worker = self._worker
        self._end("failed")
        show_error(self.w, "Terms could not be suggested",
                   worker.error if worker is not None and worker.error is not None else message)
        self.state.datasetChanged.emit()  # the chunks stored before the error stay
        self.done.emit(None)

    @Slot()
    def _on_cancelled(self) -> None:
        self._end("cancelled")
        self.w.show_message("Term suggestions stopped; those stored so far stay (Suggest terms resumes)", 8000)
        self.state.datasetChanged.emit()
        self.done.emit(None)

    # ---- after a raw import --------------------------------------------------------------------
    @Slot(object)
    def after_import(self, report: Any) -> None:
        """A raw-text import added sentences: offer to suggest their terms (see the module's note)."""
        if report is None or not getattr(report, "documents", 0) or not report.sentences_added:
            return
        if self._worker is not None or self.state.project is None:
            return
        noun = "sentence" if report.sentences_added == 1 else "sentences"
        box = QMessageBox(QMessageBox.Question, "Imported raw text",
                          f"Imported {report.documents:,} texts as {report.sentences_added:,} new {noun}. "
                          "None of them has a term yet.\n\nThe term extractor can suggest the terms of every "
                          "sentence, each with its predicted polarity; you then accept or reject each one. "
                          "It runs in the background while you work.", QMessageBox.NoButton, self.w)
        box.setObjectName("suggestOffer")
        now = box.addButton("Suggest terms now", QMessageBox.AcceptRole)
        box.addButton("Later", QMessageBox.RejectRole)
        box.setDefaultButton(now)
        box.setWindowModality(Qt.WindowModal)
        box.setAttribute(Qt.WA_DeleteOnClose)
        now.clicked.connect(self.start)
        self.offer = box
        box.open()
