"""When to look for others' labels, and what to announce when some arrived.

Every ``poll_ms`` (while a project is open and the window is on screen; at once when it is
activated) it asks ``poll_store``; for rows others wrote the state announces ``othersLabeled``
and ``labelsChanged``, and the window says who labeled: "3 labels by bob". A new active model
(another member retrained or rolled back) announces ``modelsChanged``. Imports that added
sentences reset the list. Quick polls run on the GUI thread's connection; slow ones move to a
``PollLane`` (app.services.poll_service).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, QTimer, Slot

from app.services.poll_service import PollLane, PollResult, describe, failure_text, poll_store
from app.state.app_state import AppState
from app.views.main_window import MainWindow
from core.storage import SentenceFilter

log = logging.getLogger(__name__)
PROBE_BUDGET_MS = 10.0  # a poll slower than this on the GUI thread would be felt
SLOW_POLLS = 3          # this many slow polls in a row move polling to a worker thread
MESSAGE_MS = 6000


class RefreshController(QObject):
    def __init__(self, window: MainWindow, state: AppState, interval_ms: int) -> None:
        super().__init__(window)
        self.w, self.state = window, state
        self.interval_ms = interval_ms
        self.timer = QTimer(self)
        self.timer.setInterval(max(interval_ms, 1))
        self.marker = 0
        self.active_model: int | None = None
        self.generation = 0
        self.use_worker = False
        self.last_message = ""
        self.polls = 0
        self._sentences = 0
        self._slow = 0
        self._busy = False
        self._failing = False
        self._lane: PollLane | None = None
        self._connect_callbacks()

    def _connect_callbacks(self) -> None:
        self.timer.timeout.connect(self.poll)
        self.state.projectChanged.connect(self._on_project_changed)
        self.state.modelsChanged.connect(self._note_active_model)
        self.state.datasetChanged.connect(self._note_sentences)
        self.w.installEventFilter(self)

    # ---- when to poll --------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if obj is self.w and kind in (QEvent.Show, QEvent.Hide, QEvent.WindowStateChange):
            self._sync_timer()
        elif obj is self.w and kind == QEvent.WindowActivate and self.timer.isActive():
            QTimer.singleShot(0, self, self.poll)  # back at the window: catch up at once
        return False

    def _sync_timer(self) -> None:
        wanted = (self.state.project is not None and self.interval_ms > 0 and self.w.isVisible()
                  and not self.w.isMinimized())
        if wanted and not self.timer.isActive():
            self.timer.start()
        elif not wanted:
            self.timer.stop()

    @Slot()
    def _on_project_changed(self) -> None:
        self._stop_worker()
        self.generation += 1
        self._busy = self._failing = False
        self._slow = 0
        self.use_worker = False
        project = self.state.project
        self.marker = self.state.event_marker if project is not None else 0
        self._note_active_model()
        self._note_sentences()
        self._sync_timer()

    @Slot()
    def _note_active_model(self) -> None:
        """This window changed the models (retrain, roll back): nothing for the poll to announce."""
        project = self.state.project
        active = project.active_model() if project is not None else None
        self.active_model = active.id if active is not None else None

    @Slot()
    def _note_sentences(self) -> None:
        project = self.state.project
        self._sentences = project.count(SentenceFilter()) if project is not None else 0

    # ---- polling -------------------------------------------------------------------------------
    @Slot()
    def poll(self) -> None:
        project = self.state.project
        if project is None or self._busy:
            return
        if self.use_worker:
            self._start_worker()
            self._busy = True
            assert self._lane is not None
            self._lane.ask(self.generation, self.marker)
            return
        try:
            result = poll_store(project, self.marker, self.generation)
        except Exception as exc:  # noqa: BLE001 - the server went away: say so once, retry next tick
            self._on_failed(self.generation, failure_text(exc))
            return
        self._slow = self._slow + 1 if result.probe_ms > PROBE_BUDGET_MS else 0
        if self._slow >= SLOW_POLLS:
            log.info("polls take %.1f ms: polling moves to a worker thread", result.probe_ms)
            self.use_worker = True
        self.apply(result)

    @Slot(object)
    def apply(self, result: PollResult) -> None:
        """Announce what others changed (on the GUI thread, re-reading rows through its connection)."""
        self._busy = False
        if result.generation != self.generation or self.state.project is None:
            return
        self.polls += 1
        if self._failing:
            self._failing = False
            self.w.show_message("Connected again", 3000)
        events = [e for e in result.events if e.id > self.marker]
        if events:
            self.marker = events[-1].id
        own = self.state.own_events
        others = [e for e in events if e.id not in own]
        own.difference_update(e.id for e in events)
        messages = []
        if others:
            ids = frozenset(e.sentence_id for e in others if e.sentence_id is not None)
            if any(e.source == "import" for e in others) and self._sentences_changed():
                self.state.datasetChanged.emit()  # new sentences: the list starts over (keeping the one shown)
            else:
                self.state.othersLabeled.emit(ids)
                self.state.labelsChanged.emit(ids)
            messages.append(describe(others, self.state.author))
        if result.active_model != self.active_model:
            self.active_model = result.active_model
            self.state.modelsChanged.emit()
            self.state.predictionsChanged.emit()
            messages.append(f"model v{result.active_model} is now the active one" if result.active_model
                            else "no model is active now")
        text = "; ".join(m for m in messages if m)
        if text:
            self.last_message = text[0].upper() + text[1:]
            self.w.show_message(self.last_message, MESSAGE_MS)
        if result.more:
            QTimer.singleShot(0, self, self.poll)

    def _sentences_changed(self) -> bool:
        before = self._sentences
        self._note_sentences()
        return self._sentences != before

    @Slot(int, str)
    def _on_failed(self, generation: int, reason: str) -> None:
        self._busy = False
        if generation != self.generation:
            return
        if not self._failing:
            log.warning("cannot look for others' labels: %s", reason)
            self.w.show_message(f"Cannot reach the project: {reason}", MESSAGE_MS)
        self._failing = True

    # ---- the worker ----------------------------------------------------------------------------
    def _start_worker(self) -> None:
        if self._lane is not None or self.state.path is None:
            return
        target, models_dir = self.state.job_target()
        self._lane = PollLane(target, models_dir, self)
        self._lane.polled.connect(self.apply)
        self._lane.failed.connect(self._on_failed)

    def _stop_worker(self, timeout_ms: int = 5000) -> bool:
        lane, self._lane = self._lane, None
        if lane is None:
            return True
        lane.polled.disconnect(self.apply)  # a late answer is for a project no longer open
        done = lane.stop(timeout_ms)
        if done:
            lane.deleteLater()
        return done

    def shutdown(self) -> bool:
        self.timer.stop()
        self.generation += 1
        return self._stop_worker()
