"""Retrain: one worker thread runs ``core.ml.project_train.train_project`` on a snapshot of the
labels while labeling goes on; progress, phase, epoch and elapsed time show as it runs; Cancel
stops it at the next batch. At the end the new version, registered inactive, is shown beside the
previous one scored on the same dev split (each accuracy with n and a 95 % interval), with Keep
or Roll back. Only Keep activates it (and so rescores the project); Roll back, closing the panel,
another training or closing the app leave the previous version in use. With enough fully annotated
sentences the run also retrains the term extractor (its own phase in the progress); that one is
used at once when it scores at least as well as the one before, and the result says so.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot

from app.dialogs.error_dialog import show_error, show_info
from app.services.training_service import MIN_LABELS, EpochResult, train_job
from app.state.app_state import AppState
from app.state.train_config import config_from_settings
from app.views.main_window import MainWindow
from app.workers.worker import Worker, is_running, start_worker, stop_and_wait
from core.ml.compare import Scored, verdict
from core.ml.events import BODY, LORA
from core.ml.terms.retrain import describe_extractor_result

log = logging.getLogger(__name__)


class TrainingController(QObject):
    def __init__(self, window: MainWindow, state: AppState) -> None:
        super().__init__(window)
        self.w, self.state = window, state
        self.panel = window.training_panel
        self._worker: Worker | None = None
        self._thread: Any = None
        self._started = 0.0
        self._previous: Any = None   # the version that was active when training started
        self._new: Any = None        # the version training made
        self._epoch_index = -1
        self._last_epoch: tuple[str, int] | None = None
        self.outcome: str | None = None  # "finished" / "cancelled" / "failed", for tests and logs
        self._clock = QTimer(self)
        self._clock.setInterval(500)
        self._connect_callbacks()
        self._sync_actions()

    def _connect_callbacks(self) -> None:
        a = self.w.actions
        a["retrain"].triggered.connect(self.start)
        a["cancel_training"].triggered.connect(self.cancel)
        self.panel.retrainClicked.connect(self.start)
        self.panel.cancelClicked.connect(self.cancel)
        self.panel.keepClicked.connect(self.keep)
        self.panel.rollbackClicked.connect(self.roll_back)
        self._clock.timeout.connect(self._tick)
        self.state.projectChanged.connect(self._on_project_changed)

    @Slot()
    def _on_project_changed(self) -> None:
        """Another project: a training of the old one is cancelled, its result put away."""
        if self._worker is not None:
            self._worker.cancel()
            self.panel.show_cancelling()
        self._previous = self._new = None
        self.panel.hide_result_box()
        self._sync_actions()

    @property
    def running(self) -> bool:
        return is_running(self._thread)

    def _sync_actions(self) -> None:
        busy = self._worker is not None
        self.w.actions["retrain"].setEnabled(not busy and self.state.project is not None)
        self.w.actions["cancel_training"].setEnabled(busy)
        self.panel.set_can_retrain(not busy and self.state.project is not None)

    # ---- start / cancel ------------------------------------------------------------------------
    @Slot()
    def start(self) -> bool:
        project = self.state.project
        if project is None or self._worker is not None:
            return False
        try:
            cfg = config_from_settings(self.state.ctx.settings)
        except ValueError as exc:
            show_error(self.w, "The training settings cannot work", exc)
            return False
        labeled = project.stats().labeled
        if labeled < MIN_LABELS:
            show_info(self.w, "Not enough labels", f"The project has {labeled} labeled terms; label at least "
                      f"{MIN_LABELS} (keys 1 / 2 / 3), then retrain.")
            return False
        self._previous, self._new = project.active_model(), None
        self._epoch_index, self._last_epoch = -1, None
        self.outcome = None
        worker = Worker(train_job, *self.state.job_target(), cfg)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self._worker = worker
        self._thread = start_worker(worker, self)
        self._started = time.monotonic()
        self._clock.start()
        self.panel.show_running()
        self.w.show_tab("training")
        self.w.show_message(f"Training on {labeled} labels ({cfg.engine}); keep labeling meanwhile", 5000)
        self._sync_actions()
        return True

    @Slot()
    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.panel.show_cancelling()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """For closeEvent: cancel, quit, wait. False if it did not stop in time (never terminated)."""
        if self._worker is None:
            return True
        return stop_and_wait(self._thread, self._worker, timeout_ms)

    # ---- progress --------------------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, event: Any) -> None:
        if self._worker is None or self._worker.should_stop():
            return
        if isinstance(event, EpochResult):
            self._add_point(event.phase, event.epoch, event.loss, event.dev_accuracy)
            return
        self.panel.show_progress(event)
        if event.loss is not None and event.batches and event.phase in (BODY, LORA):
            self.panel.add_step(self._epoch_slot(event.phase, event.epoch), event.phase,
                                event.batch / event.batches, event.loss)

    def _epoch_slot(self, phase: str, epoch: int) -> int:
        """The chart's x slot of (phase, epoch): epochs are counted across phases."""
        if self._last_epoch != (phase, epoch):
            self._epoch_index += 1
            self._last_epoch = (phase, epoch)
        return self._epoch_index

    def _add_point(self, phase: str, epoch: int, loss: Any, accuracy: Any) -> None:
        self.panel.add_epoch(self._epoch_slot(phase, epoch), phase, loss, accuracy)

    @Slot()
    def _tick(self) -> None:
        self.panel.show_elapsed(time.monotonic() - self._started)

    # ---- outcomes --------------------------------------------------------------------------------
    def _end(self, outcome: str) -> None:
        self._clock.stop()
        self._tick()
        self._worker, self.outcome = None, outcome
        self._sync_actions()

    @Slot(object)
    def _on_finished(self, result: Any) -> None:
        run, version = result
        self._end("finished" if version is not None else "cancelled")
        if version is None:
            self.panel.show_idle("Training cancelled; the previous model stays.")
            return
        self._new = version
        m = version.metrics or {}
        previous = m.get("previous") if isinstance(m.get("previous"), dict) else None
        prev_name = f"v{self._previous.id}" if self._previous is not None else "the starter model"
        seconds = m.get("seconds", time.monotonic() - self._started)
        title = (f"<b>v{version.id}</b> trained on {m.get('n_train', '?')} labels in {float(seconds):.0f} s; "
                 f"both versions scored on the same {m.get('n_dev', '?')} held-out labels")
        rollback = f"Roll back to {prev_name}" if self._previous is not None else "Don't use it"
        self.panel.show_result(title, m, previous, m.get("confusion"), True, rollback,
                               verdict=comparison_text(m, previous, version.id, self._previous),
                               pending=f"v{version.id} is not in use yet: {prev_name} keeps predicting until you "
                                       f"keep v{version.id}. Closing this panel or the app without choosing "
                                       f"keeps {prev_name}; v{version.id} stays in the Models tab.",
                               extractor=extractor_text((run.metrics or {}).get("extractor")))
        self.state.modelsChanged.emit()  # the Models tab lists the new (inactive) version
        self.w.show_message(f"New model v{version.id} is ready: keep it or roll back", 5000)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end("failed")
        self.panel.show_idle(f"Training failed: {message}")
        show_error(self.w, "Training failed", message)
        self.state.modelsChanged.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        self._end("cancelled")
        self.panel.show_idle("Training cancelled; the previous model stays.")

    # ---- keep / roll back ------------------------------------------------------------------------
    @property
    def pending(self) -> Any:
        """The trained version awaiting Keep / Roll back (None when there is none)."""
        return self._new

    @Slot()
    def keep(self) -> None:
        """Activate the new version; ``modelsChanged`` makes the predictor serve it and rescore."""
        project, new = self.state.project, self._new
        if project is None or new is None:
            return
        try:
            project.activate(new.id)
        except Exception as exc:  # noqa: BLE001 - StoreError: the folder is gone
            show_error(self.w, "Cannot use the new model", exc)
            return
        self._new = None
        self.panel.hide_result(f"Kept v{new.id}: it predicts from now on.")
        # Hiding the focused button would hand focus to the next widget in the chain (the search
        # box), where the next label key would be typed as text: labeling goes on in the sentence.
        self.w.term_panel.focus_sentence()
        self.state.modelsChanged.emit()
        self.state.predictionsChanged.emit()

    @Slot()
    def roll_back(self) -> None:
        """Leave the new version inactive: nothing to undo, as it never predicted."""
        new, self._new = self._new, None
        prev_name = f"v{self._previous.id}" if self._previous is not None else "the starter model"
        self.panel.hide_result(f"Kept {prev_name}; v{new.id if new else '?'} is not in use (it stays in the "
                               "Models tab).")
        self.w.term_panel.focus_sentence()


def extractor_text(result: dict[str, Any] | None) -> str:
    """The extractor's half of the retrain; it is not part of Keep / Roll back, so say it is in use."""
    text = describe_extractor_result(result)
    if result and result.get("updated"):
        text += " It suggests terms from now on (Keep / Roll back choose the polarity model only)."
    return text


def comparison_text(new: dict[str, Any], previous: dict[str, Any] | None, new_id: int, previous_version: Any) -> str:
    """The verdict in words, from metrics scored on the same dev split."""
    n = new.get("n_dev")
    if not isinstance(n, int) or n <= 0 or not isinstance(new.get("accuracy"), (int, float)):
        return "No held-out labels: the new version could not be scored."
    ours = Scored.of(float(new["accuracy"]), n)
    if previous_version is None:
        return verdict(ours, None, f"v{new_id}")
    if previous is None or not isinstance(previous.get("accuracy"), (int, float)):
        why = (previous or {}).get("error", "it was not scored")
        return f"v{previous_version.id} could not be scored on this dev split ({why})."
    theirs = Scored.of(float(previous["accuracy"]), int(previous.get("n_dev", n)))
    return verdict(ours, theirs, f"v{new_id}", f"v{previous_version.id}")
