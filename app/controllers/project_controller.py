"""The top controller: projects (new, open, recent, first-run demo), import / export, settings,
help, the status bar counts, and an orderly shutdown. It builds the focused controllers
(labeling, model, training, team projects, refresh) and the predictor, and wires its own
signals in ``_connect_callbacks``. Recent server projects are kept as URLs without password.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog

from app.context import AppContext
from app.controllers.aspects_controller import AspectsController
from app.controllers.labeling_controller import LabelingController
from app.controllers.models_controller import ModelController
from app.controllers.raw_import_controller import RawImportController
from app.controllers.refresh_controller import RefreshController
from app.controllers.review_controller import ReviewController
from app.controllers.suggestion_controller import SuggestionController
from app.controllers.suggest_controller import SuggestController
from app.controllers.team_controller import TeamController
from app.controllers.training_controller import TrainingController
from app.dialogs.error_dialog import show_error, show_info
from app.dialogs.export_dialog import ExportDialog, ask_import_file, new_project_dialog, open_project_dialog
from app.dialogs.help_dialog import HelpDialog
from app.dialogs.settings_dialog import SettingsDialog
from app.services.predictor_service import PredictionService
from app.services.project_service import create_project, ensure_demo_project, export_job, import_job
from app.services.raw_import_service import RawChoice, wants_raw_dialog
from app.services.stats_service import StatsService
from app.state.app_state import AppState, is_url, split_url
from app.state.settings import Key
from app.views.main_window import MainWindow
from app.workers.worker import Worker, start_worker, stop_and_wait
from core.storage.db import display

log = logging.getLogger(__name__)
FIRST_PAINT_WAIT_MS = 1500


class AppController(QObject):
    importDone = Signal(object)   # ImportReport, or None when it failed
    exportDone = Signal(object)   # rows written, or None when it failed

    def __init__(self, window: MainWindow, ctx: AppContext) -> None:
        super().__init__(window)
        self.w, self.ctx = window, ctx
        self.state = AppState(ctx, self)
        self.predictor = PredictionService(self)
        self.stats = StatsService(self)
        self.labeling = LabelingController(window, self.state, self.predictor)
        self.suggestions = SuggestionController(window, self.state, self.labeling)
        self.models = ModelController(window, self.state, self.predictor)
        self.training = TrainingController(window, self.state)
        self.refresh = RefreshController(window, self.state, ctx.poll_ms)
        self._io: tuple[Any, Worker] | None = None
        self.team = TeamController(window, self.state, ctx)
        self.review = ReviewController(window, self.state)
        self.aspects = AspectsController(window, self.state, self.labeling)
        self.raw_import = RawImportController(window, self)
        self.suggest = SuggestController(window, self.state, ctx.starter_extractor)
        self._help: HelpDialog | None = None
        window.close_guard = self.shutdown
        self._connect_callbacks()
        self._rebuild_recent()
        self._sync_actions()

    def _connect_callbacks(self) -> None:
        a = self.w.actions
        a["new_project"].triggered.connect(self.new_project)
        a["open_project"].triggered.connect(self.open_project)
        a["import"].triggered.connect(self.import_dialog)
        a["export"].triggered.connect(self.export_dialog)
        a["quit"].triggered.connect(self.w.close)
        a["settings"].triggered.connect(self.settings_dialog)
        a["help"].triggered.connect(self.show_help)
        self.w.recent_menu.triggered.connect(self._open_recent)
        self.team.connected.connect(self._remember_recent)
        self.state.projectChanged.connect(self._on_project_changed)
        self.state.projectClosing.connect(self._remember_place)
        self.state.labelsChanged.connect(self.stats.request)
        self.state.datasetChanged.connect(self.stats.request)
        self.stats.stats.connect(self._show_stats)
        self.raw_import.chosen.connect(self._import_raw)
        self.importDone.connect(self.suggest.after_import)

    # ---- projects --------------------------------------------------------------------------------
    def start(self, project: str | Path | None = None) -> None:
        """Open ``project`` (a file or a server URL), else the last one, else the demo (made on first run).
        A last project on a server opens the Connect dialog (its password is not kept)."""
        last = self.ctx.settings.get(Key.LAST_PROJECT)
        if project is not None and is_url(project) and not str(project).startswith("sqlite"):
            self.team.connect_url(str(project))
        elif project is not None:
            self.open_path(project)
        elif last and is_url(last):
            self.team.reconnect(last)
        elif last and Path(last).is_file():
            self.open_path(last)
        else:
            self.open_demo()

    def open_demo(self) -> bool:
        try:
            ensure_demo_project(self.ctx.demo_project, self.ctx.starter_model)
        except Exception as exc:  # noqa: BLE001 - a broken data folder must not stop the app
            log.exception("demo project could not be made")
            show_error(self.w, "The demo project could not be made", exc)
            return False
        return self.open_path(self.ctx.demo_project)

    def open_path(self, path: str | Path) -> bool:
        try:
            self.state.open(path, author=self.ctx.author)
        except Exception as exc:  # noqa: BLE001 - StoreError and friends: say why, keep the current one
            show_error(self.w, "Cannot open the project", exc)
            return False
        self._remember_recent(str(self.state.path))
        return True

    @Slot(str)
    def _remember_recent(self, where: str) -> None:
        self.ctx.settings.add_recent_project(where)
        self._rebuild_recent()

    @Slot()
    def new_project(self) -> None:
        path = new_project_dialog(self.w, str(self.ctx.projects_dir))
        if path:
            self.create_and_open(path)

    def create_and_open(self, path: str | Path) -> bool:
        try:
            create_project(Path(path), self.ctx.starter_model)
        except Exception as exc:  # noqa: BLE001
            show_error(self.w, "Cannot create the project", exc)
            return False
        return self.open_path(path)

    @Slot()
    def open_project(self) -> None:
        path = open_project_dialog(self.w, str(self._start_dir()))
        if path:
            self.open_path(path)

    @Slot(QAction)
    def _open_recent(self, action: QAction) -> None:
        path = action.data()
        if path and is_url(path):
            self.team.reconnect(path)
        elif path:
            self.open_path(path)

    def _rebuild_recent(self) -> None:
        menu = self.w.recent_menu
        menu.clear()
        recent = self.ctx.settings.get(Key.RECENT_PROJECTS)
        for path in recent:
            server = is_url(path)
            try:
                url = split_url(path)[0] if server else None
            except Exception:  # noqa: BLE001 - a hand-edited settings file: leave that entry out
                continue
            action = menu.addAction(f"{url.database} on {url.host or 'localhost'} (server)" if url else Path(path).name)
            action.setData(path)
            action.setToolTip(display(url) if url else path)
            action.setEnabled(server or Path(path).is_file())
        menu.setEnabled(bool(recent))

    def _start_dir(self) -> Path:
        return self.state.path.parent if isinstance(self.state.path, Path) else self.ctx.projects_dir

    @Slot()
    def _on_project_changed(self) -> None:
        self.w.set_project_title(self.state.name, self.state.location, self.state.author)
        self.stats.set_project(*(self.state.job_target() if self.state.project is not None else (None, None)))
        self.refresh_counts()
        self._sync_actions()
        if self.state.project is not None:
            self.labeling.navigator.restore_place(str(self.state.path))

    @Slot()
    def _remember_place(self) -> None:
        self.labeling.navigator.save_place(str(self.state.path) if self.state.path is not None else None)

    def _sync_actions(self) -> None:
        has = self.state.project is not None
        for name in ("import", "export"):
            self.w.actions[name].setEnabled(has and self._io is None)

    @Slot()
    def refresh_counts(self, *_: Any) -> None:
        """The counts now, on this thread (a project just opened); after a label they come off it."""
        project = self.state.project
        if project is None:
            self.w.set_counts({}, 0, 0)
            return
        self._show_stats(project.stats())

    @Slot(object)
    def _show_stats(self, stats: Any) -> None:
        if self.state.project is not None:
            self.w.set_counts(stats.per_label, stats.labeled, stats.terms)
            self.w.overview_panel.set_stats(stats)

    # ---- import / export -------------------------------------------------------------------------
    @Slot()
    def import_dialog(self) -> None:
        choice = ask_import_file(self.w, str(self._start_dir()))
        if choice:
            self.open_import(*choice)

    def open_import(self, path: str | Path, fmt: str | None = None) -> bool:
        """Raw text (no term columns) first asks its text column and splitting (the Import raw text
        dialog, whose Import starts ``import_file``); any other file is imported at once."""
        if self.state.project is None or self._io is not None:
            return False
        if wants_raw_dialog(path, fmt):
            return self.raw_import.ask(str(path))
        return self.import_file(path, fmt)

    @Slot(str, object)
    def _import_raw(self, path: str, choice: RawChoice) -> None:
        self.import_file(path, None, choice)

    def import_file(self, path: str | Path, fmt: str | None = None, raw: RawChoice | None = None) -> bool:
        """Import in a worker thread; the store writes all rows in one transaction or none.
        ``raw``: read it as raw text with these columns (the format is then detected)."""
        if self.state.project is None or self._io is not None:
            return False
        options = {} if raw is None else {"text_column": raw.text_column, "id_column": raw.id_column,
                                          "split": raw.split}
        worker = Worker(import_job, *self.state.job_target(), str(path), fmt, self.state.author, **options)
        worker.finished.connect(self._on_imported)
        worker.failed.connect(self._on_import_failed)
        worker.cancelled.connect(self._on_import_cancelled)
        self._io = (start_worker(worker, self), worker)
        self._sync_actions()
        self.w.show_message(f"Importing {Path(path).name}…")
        return True

    @Slot(object)
    def _on_imported(self, report: Any) -> None:
        self._io = None
        self._sync_actions()
        skipped = report.skipped_conflict + report.skipped_mismatch
        text = (f"Imported {report.rows} rows ({report.format}): {report.sentences_added} new sentences, "
                f"{report.terms_added} new terms, {report.labels_added} labels"
                + (f"; {skipped} rows skipped" if skipped else "")
                + (f"; {report.kept_human} of your labels kept" if report.kept_human else ""))
        if report.documents:  # raw text: texts split into sentences, no terms
            text = (f"Imported {report.documents} texts ({report.format}) as {report.sentences_added} new "
                    "sentences" + (f"; {report.skipped_empty} empty rows skipped" if report.skipped_empty else ""))
        self.w.show_message(text, 8000)
        if report.warnings:
            show_info(self.w, "Imported, with warnings", text + "\n\n" + "\n".join(report.warnings[:10]))
        self.state.datasetChanged.emit()
        self.state.modelsChanged.emit()  # new terms want predictions
        self.importDone.emit(report)

    @Slot()
    def _on_import_cancelled(self) -> None:
        self._on_import_failed("the import was cancelled")

    @Slot(str)
    def _on_import_failed(self, message: str) -> None:
        worker = self._io[1] if self._io else None
        self._io = None
        self._sync_actions()
        self.w.show_message("")
        error = worker.error if worker is not None and worker.error is not None else message
        show_error(self.w, "The file was not imported", error, unchanged=True)
        self.importDone.emit(None)

    @Slot()
    def export_dialog(self) -> None:
        if self.state.project is None:
            return
        url = self.state.url
        dialog = ExportDialog(self.w, str(self._start_dir()), (url.database if url else self.state.name) or "export")
        if dialog.exec() == QDialog.Accepted:
            path, fmt, with_predictions = dialog.choice()
            if path:
                self.export_file(path, fmt, with_predictions)

    def export_file(self, path: str | Path, fmt: str | None = None, with_predictions: bool = False) -> bool:
        if self.state.project is None or self._io is not None:
            return False
        worker = Worker(export_job, *self.state.job_target(), str(path), fmt, with_predictions)
        worker.finished.connect(self._on_exported)
        worker.failed.connect(self._on_export_failed)
        worker.cancelled.connect(self._on_export_cancelled)
        self._io = (start_worker(worker, self), worker)
        self._sync_actions()
        return True

    @Slot(object)
    def _on_exported(self, rows: Any) -> None:
        self._io = None
        self._sync_actions()
        self.w.show_message(f"Exported {rows} terms", 6000)
        self.exportDone.emit(rows)

    @Slot()
    def _on_export_cancelled(self) -> None:
        self._on_export_failed("the export was cancelled")

    @Slot(str)
    def _on_export_failed(self, message: str) -> None:
        worker = self._io[1] if self._io else None
        self._io = None
        self._sync_actions()
        show_error(self.w, "The export failed", worker.error if worker and worker.error else message)
        self.exportDone.emit(None)

    # ---- settings and help -----------------------------------------------------------------------
    @Slot()
    def settings_dialog(self) -> None:
        dialog = SettingsDialog(self.ctx.settings, self.w)
        if dialog.exec() == QDialog.Accepted:
            self.state.modelsChanged.emit()  # the device may have changed: serve the model there

    @Slot()
    def show_help(self) -> None:
        if self._help is None:
            self._help = HelpDialog(self.w)
        self._help.show()
        self._help.raise_()

    # ---- shutdown --------------------------------------------------------------------------------
    def shutdown(self) -> bool:
        """Cancel training, stop the predictor and any import; close the store. False keeps the window."""
        if not self.training.shutdown():
            show_error(self.w, "Still stopping", "Training has not stopped yet; try again in a moment.")
            return False
        if self._io is not None:
            stop_and_wait(*self._io, timeout_ms=30000)
            self._io = None
        self.raw_import.shutdown()
        self.suggest.shutdown()
        self.team.shutdown()
        self.review.shutdown()
        self.aspects.shutdown()
        self.refresh.shutdown()
        self.stats.shutdown()
        self.suggestions.shutdown()
        self.predictor.shutdown()
        self.state.close(announce=False)
        return True


class _FirstPaint(QObject):
    """Runs ``start`` once the window has painted its first frame (or after ``FIRST_PAINT_WAIT_MS``).

    Opening a project reads the store and starts loading the model, whose torch import competes
    for the interpreter: begun before the first paint, the window stayed black for seconds."""

    def __init__(self, window: QObject, start: Any) -> None:
        super().__init__(window)
        self._start, self._done = start, False
        window.installEventFilter(self)
        QTimer.singleShot(FIRST_PAINT_WAIT_MS, self, self._go)  # a window that is never painted (minimised)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Paint and not self._done:
            QTimer.singleShot(0, self, self._go)  # after this paint has reached the screen
        return False

    @Slot()
    def _go(self) -> None:
        if not self._done:
            self._done = True
            self.parent().removeEventFilter(self)
            self._start()


def deferred_start(controller: AppController, project: str | Path | None) -> None:
    """Open the project once the window is on screen with its first frame painted."""
    _FirstPaint(controller.w, lambda: controller.start(project))  # same thread: a lambda is fine
