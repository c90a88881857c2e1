"""Others' labels, live: a timer asks the store what changed since this window last looked.

Every ``poll_ms`` (while a project is open and the window is on screen; at once when it is
activated) ``poll_store`` reads ``latest_event_id()`` (one index lookup) and, when it moved,
``changes_since(marker)``: the new label rows with their sentence ids. Rows this window wrote
itself (``state.own_events``) are skipped; for the rest the state announces ``othersLabeled``
(the labeling controller re-reads those list rows and the sentence on screen, keeping the
person's chosen span) and ``labelsChanged`` (the counts), and the status bar says who labeled:
"3 labels by bob". A new active model (another member retrained or rolled back) announces
``modelsChanged``, so the predictor serves it. Imports that added sentences reset the list.

The marker is the newest row id handed over; ids commit in id order on both databases, so no
row can appear below it later, and nothing is lost when a poll fails: the next one asks again.

Polls run on the GUI thread's own connection while they are quick (SQLite, a nearby server:
well under a millisecond to a few). When the lookup takes longer than ``PROBE_BUDGET_MS`` a few
times in a row, polling moves to a ``PollWorker`` on its own thread with its own connection,
which only reads the changed ids; the rows are then re-read on the GUI thread as before.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QThread, QTimer, Signal, Slot

from app.main_window import MainWindow
from app.state import AppState
from core.storage import LabelEvent, Project, SentenceFilter
from core.storage.db import mask

log = logging.getLogger(__name__)
PROBE_BUDGET_MS = 10.0  # a poll slower than this on the GUI thread would be felt
SLOW_POLLS = 3          # this many slow polls in a row move polling to a worker thread
PAGE = 1000             # label rows per changes_since call
MAX_PAGES = 5           # per poll; the rest comes with the next one, at once
MESSAGE_MS = 6000


@dataclass(frozen=True)
class PollResult:
    generation: int                 # which project the poll was for (results for another are dropped)
    events: tuple[LabelEvent, ...]  # human/import rows after the marker, oldest first
    active_model: int | None
    more: bool                      # the page limit was reached: poll again at once
    probe_ms: float                 # how long latest_event_id() took


def poll_store(project: Project, marker: int, generation: int = 0) -> PollResult:
    """What changed after label row ``marker``: a plain function, run on whichever thread owns ``project``."""
    started = time.perf_counter()
    latest = project.latest_event_id()
    probe_ms = (time.perf_counter() - started) * 1000
    events: list[LabelEvent] = []
    more = False
    if latest > marker:
        after = marker
        for _ in range(MAX_PAGES):
            page = project.changes_since(after, PAGE)
            events.extend(page)
            if len(page) < PAGE:
                break
            after = page[-1].id
        else:
            more = True
    active = project.active_model()
    return PollResult(generation, tuple(events), active.id if active is not None else None, more, probe_ms)


def describe(events: list[LabelEvent], me: str | None) -> str:
    """"3 labels by bob", "4 labels by bob and ann": others' rows only ("" when none)."""
    by = Counter(e.author or "someone" for e in events if e.author != me)
    if not by:
        return ""
    names = [name for name, _n in by.most_common()]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if len(names) > 3:
        who = f"{', '.join(names[:2])} and {len(names) - 2} others"
    n = sum(by.values())
    return f"{n} label{'s' if n != 1 else ''} by {who}"


class PollWorker(QObject):
    """Polls on its own thread with its own connection (opened at the first poll, from the path)."""

    polled = Signal(object)  # PollResult
    failed = Signal(int, str)  # generation, reason (password masked)

    def __init__(self, target: str) -> None:
        super().__init__()  # no parent: it is moved to its thread
        self._target = target
        self._project: Project | None = None

    @Slot(int, int)
    def poll(self, generation: int, marker: int) -> None:
        try:
            if self._project is None:
                self._project = Project.open(self._target, recover_runs=False)
            self.polled.emit(poll_store(self._project, marker, generation))
        except Exception as exc:  # noqa: BLE001 - a dropped connection is a message, and the next poll retries
            self.failed.emit(generation, mask(str(exc).splitlines()[0] if str(exc) else type(exc).__name__))

    @Slot()
    def stop(self) -> None:
        if self._project is not None:
            self._project.close()  # in the thread that opened it
            self._project = None
        thread = self.thread()
        if thread is not None:
            thread.quit()


class RefreshController(QObject):
    _ask = Signal(int, int)   # generation, marker -> PollWorker.poll
    _stop = Signal()          # -> PollWorker.stop

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
        self._thread: QThread | None = None
        self._worker: PollWorker | None = None
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
            self._ask.emit(self.generation, self.marker)
            return
        try:
            result = poll_store(project, self.marker, self.generation)
        except Exception as exc:  # noqa: BLE001 - the server went away: say so once, retry next tick
            self._on_failed(self.generation, mask(str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
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
            self.w.statusBar().showMessage("Connected again", 3000)
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
            self.w.statusBar().showMessage(self.last_message, MESSAGE_MS)
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
            self.w.statusBar().showMessage(f"Cannot reach the project: {reason}", MESSAGE_MS)
        self._failing = True

    # ---- the worker ----------------------------------------------------------------------------
    def _start_worker(self) -> None:
        if self._worker is not None or self.state.path is None:
            return
        thread = QThread(self)
        thread.setObjectName("poll")
        worker = PollWorker(str(self.state.path))
        worker.moveToThread(thread)
        self._ask.connect(worker.poll)
        self._stop.connect(worker.stop)
        worker.polled.connect(self.apply)
        worker.failed.connect(self._on_failed)
        thread.finished.connect(worker.deleteLater)
        self._thread, self._worker = thread, worker
        thread.start()

    def _stop_worker(self, timeout_ms: int = 5000) -> bool:
        """Close the worker's connection on its thread, let the thread end, wait for it (never terminate)."""
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if thread is None or worker is None:
            return True
        self._ask.disconnect(worker.poll)  # now, while the worker surely lives
        self._stop.emit()  # its connection goes when the worker is deleted with its thread
        done = thread.wait(timeout_ms)
        if done:
            thread.deleteLater()
        else:
            log.warning("the poll thread did not end within %d ms", timeout_ms)
        return bool(done)

    def shutdown(self) -> bool:
        self.timer.stop()
        self.generation += 1
        return self._stop_worker()
