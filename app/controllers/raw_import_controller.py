"""Raw text in: the "Import raw text" dialog for a file with no term columns. The preview is read
on a worker thread (a large .xlsx takes seconds to open), the dialog shows it, and the person's
choice is handed on with ``chosen``; the import itself runs on the project's import worker. A
file whose first rows cannot be read gets the import's error dialog at once, the project untouched.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from app.dialogs.error_dialog import show_error
from app.dialogs.raw_import_dialog import RawImportDialog
from app.services.raw_import_service import RawChoice, preview_job
from app.workers.worker import Worker, is_running, start_worker, stop_and_wait


class RawImportController(QObject):
    chosen = Signal(str, object)  # path, RawChoice: import it
    failed = Signal()             # the preview could not be read (the error dialog is open)

    def __init__(self, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.w = window
        self.dialog: RawImportDialog | None = None
        self._job: tuple[Any, Worker] | None = None       # the preview of the dialog now open
        self._jobs: list[tuple[Any, Worker]] = []         # every preview thread not yet ended

    def ask(self, path: str) -> bool:
        """Open the dialog for ``path`` (window-modal, the event loop keeps running); False if one is open."""
        if self.dialog is not None:
            return False
        dialog = RawImportDialog(self.w, path)
        dialog.accepted.connect(self._on_accepted)
        dialog.rejected.connect(self._on_rejected)
        self._stop_preview()
        worker = Worker(preview_job, path)
        worker.finished.connect(self._on_preview)
        worker.failed.connect(self._on_preview_failed)
        worker.cancelled.connect(self._on_preview_cancelled)
        self.dialog = dialog
        self._job = (start_worker(worker, self), worker)
        self._jobs = [job for job in self._jobs if is_running(job[0])] + [self._job]
        dialog.open()
        return True

    def _current(self) -> bool:
        """Whether the signal comes from the preview of the dialog now open (not one cancelled before)."""
        return self._job is not None and self.sender() is self._job[1]

    @Slot(object)
    def _on_preview(self, result: Any) -> None:
        if not self._current():
            return
        self._job = None
        if self.dialog is not None:
            self.dialog.set_preview(result)

    @Slot(str)
    def _on_preview_failed(self, message: str) -> None:
        if not self._current():
            return
        worker = self._job[1] if self._job else None
        self._job = None
        dialog, self.dialog = self.dialog, None
        if dialog is None:
            return
        dialog.blockSignals(True)  # closing it is not the person's "Cancel"
        dialog.reject()
        dialog.deleteLater()
        error = worker.error if worker is not None and worker.error is not None else message
        show_error(self.w, "The file was not imported", error, unchanged=True)
        self.failed.emit()

    @Slot()
    def _on_preview_cancelled(self) -> None:
        if self._current():
            self._job = None

    @Slot()
    def _on_accepted(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is None:
            return
        choice: RawChoice = dialog.choice()
        dialog.deleteLater()
        self.chosen.emit(dialog.path, choice)

    @Slot()
    def _on_rejected(self) -> None:
        self._stop_preview()
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _stop_preview(self) -> None:
        """Cancel a preview still being read; its thread ends by itself within the read of one chunk."""
        if self._job is not None:
            self._job[1].cancel()
            self._job = None

    def shutdown(self) -> None:
        for thread, worker in self._jobs:
            stop_and_wait(thread, worker, timeout_ms=10000)
        self._job, self._jobs = None, []
