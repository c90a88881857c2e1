"""Which model predicts, and the Models and Overview tabs.

The predictor serves the project's active version; a project without one gets the starter
model (predicting, but not stored), and without that "No model yet". Activating or deleting a
version is one store call, then ``modelsChanged``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Slot

from app.dialogs.error_dialog import confirm, show_error
from app.services.predictor_service import PredictionService, model_ref_for, starter_ref
from app.state.app_state import AppState
from app.state.settings import Key
from app.views.main_window import MainWindow
from core.storage import StoreError

log = logging.getLogger(__name__)
REFRESH_WHILE_SCORING_MS = 4000  # repaint stored predictions now and then while they are written


class ModelController(QObject):
    def __init__(self, window: MainWindow, state: AppState, predictor: PredictionService) -> None:
        super().__init__(window)
        self.w, self.state, self.predictor = window, state, predictor
        self._scoring_refresh = QTimer(self)
        self._scoring_refresh.setInterval(REFRESH_WHILE_SCORING_MS)
        self._connect_callbacks()

    def _connect_callbacks(self) -> None:
        self.state.projectChanged.connect(self.refresh)
        self.state.modelsChanged.connect(self.refresh)
        self.predictor.state_changed.connect(self._on_predictor_state)
        self.predictor.scoring_progress.connect(self._on_scoring_progress)
        self.predictor.scoring_finished.connect(self._on_scoring_finished)
        self._scoring_refresh.timeout.connect(self.state.predictionsChanged)
        self.w.models_panel.activateClicked.connect(self.activate)
        self.w.models_panel.deleteClicked.connect(self.delete)
        self.w.actions["models"].triggered.connect(self.show_models)

    @Slot()
    def refresh(self) -> None:
        """Show the versions, and make the predictor serve the active one (or the starter)."""
        project = self.state.project
        versions = project.models() if project is not None else []
        self.w.models_panel.set_versions(versions)
        active = next((v for v in versions if v.active), None)
        self.w.overview_panel.set_active_model(active)
        device = self.state.ctx.settings.get(Key.DEVICE)
        if project is None:
            self.predictor.set_model(None, why_none="No project open")
        elif active is not None:
            self.predictor.set_model(model_ref_for(active, str(self.state.path), device), str(self.state.path))
        elif self.state.ctx.starter_model is not None:
            self.predictor.set_model(starter_ref(self.state.ctx.starter_model, device), str(self.state.path))
        else:
            self.predictor.set_model(None, why_none="No model yet: label 10+ terms, then Retrain")
        self._show_state()

    def _show_state(self) -> None:
        p = self.predictor
        icons = {"ready": "●", "loading": "◌", "failed": "⚠", "none": "○"}
        ref = p.model
        if p.state == "ready" and ref is not None:
            text = f"{icons['ready']} Model {ref.name}"
        elif p.state == "loading" and ref is not None:
            text = f"{icons['loading']} {p.message}"  # "Loading v3…", or what the load is doing
        elif p.state == "failed":
            text = f"{icons['failed']} Model failed to load"
        else:
            text = f"{icons['none']} {p.message}"
        self.w.set_model_state(text, p.message)

    @Slot(str, str)
    def _on_predictor_state(self, state: str, message: str) -> None:
        self._show_state()
        if state == "failed":
            self.w.show_message(message, 10000)

    @Slot(int, int)
    def _on_scoring_progress(self, done: int, total: int) -> None:
        if not self._scoring_refresh.isActive():
            self._scoring_refresh.start()
        ref = self.predictor.model
        self.w.set_model_state(f"● Model {ref.name if ref else ''} · scoring {done}/{total}",
                               "Storing the model's predictions for every term (for the filters)")

    @Slot(int)
    def _on_scoring_finished(self, _version_id: int) -> None:
        self._scoring_refresh.stop()
        self._show_state()
        self.state.predictionsChanged.emit()

    # ---- versions ------------------------------------------------------------------------------
    @Slot(int)
    def activate(self, version_id: int) -> None:
        project = self.state.project
        if project is None:
            return
        try:
            project.activate(version_id)
        except StoreError as exc:
            show_error(self.w, "Cannot use this version", exc)
            return
        self.w.show_message(f"Model v{version_id} is now the one that predicts", 4000)
        self.state.modelsChanged.emit()
        self.state.predictionsChanged.emit()

    @Slot(int)
    def delete(self, version_id: int, ask: bool = True) -> None:
        project = self.state.project
        if project is None:
            return
        if ask and not confirm(self.w, "Delete model version",
                               f"Delete model v{version_id} and its folder? This cannot be undone."):
            return
        try:
            project.delete_model(version_id)
        except StoreError as exc:
            show_error(self.w, "Cannot delete this version", exc)
            return
        self.state.modelsChanged.emit()

    @Slot()
    def show_models(self) -> None:
        self.w.show_tab("models")
