"""Others' labels, live: what changed in the store since this window last looked.

``poll_store`` is the question (a plain function); ``PollLane`` asks it off the GUI thread, as a
``Worker`` on one lane that keeps its own connection. ``RefreshController`` (app.controllers)
decides when to ask and announces the answers.


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
times in a row, polling moves to a ``PollLane`` (its own thread and connection), which only
reads the changed ids; the rows are then re-read on the GUI thread as before.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.workers.worker import Worker, WorkerLane
from core.storage import LabelEvent, Project
from core.storage.db import mask

log = logging.getLogger(__name__)
PAGE = 1000             # label rows per changes_since call
MAX_PAGES = 5           # per poll; the rest comes with the next one, at once


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


def failure_text(exc: BaseException | str) -> str:
    """One line, password masked: what the status bar says when the store cannot be reached."""
    text = str(exc)
    return mask(text.splitlines()[0] if text else type(exc).__name__)


class _Connection:
    """A lane's own connection, opened at its first poll (lives and dies on the lane)."""

    def __init__(self, target: str, models_dir: str | None) -> None:
        self.target, self.models_dir = target, models_dir
        self.project: Project | None = None

    def get(self) -> Project:
        if self.project is None:
            self.project = Project.open(self.target, recover_runs=False, models_dir=self.models_dir)
        return self.project

    def close(self) -> None:
        if self.project is not None:
            self.project.close()
            self.project = None


def _poll_job(conn: _Connection, marker: int, generation: int, *, on_progress: Any, should_stop: Any) -> PollResult:
    try:
        return poll_store(conn.get(), marker, generation)
    except Exception:
        conn.close()  # a dropped connection: the next poll opens a fresh one
        raise


def _close_job(conn: _Connection, *, on_progress: Any, should_stop: Any) -> None:
    conn.close()


class PollLane(QObject):
    """Polls on its own thread with its own connection; answers come back as signals."""

    polled = Signal(object)    # PollResult
    failed = Signal(int, str)  # generation, reason (password masked)

    def __init__(self, target: str, models_dir: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._conn = _Connection(target, models_dir)
        self._lane = WorkerLane("poll", self)
        self._asked: int = 0

    def ask(self, generation: int, marker: int) -> None:
        self._asked = generation
        worker = Worker(_poll_job, self._conn, marker, generation, quiet=True)
        worker.finished.connect(self.polled)
        worker.failed.connect(self._on_failed)
        self._lane.submit(worker)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(self._asked, mask(message))

    def is_running(self) -> bool:
        return self._lane.is_running()

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Close the connection on the lane's thread, then let the thread end (never terminate)."""
        done = self._lane.stop(timeout_ms, last=Worker(_close_job, self._conn))
        if not done:
            log.warning("the poll thread did not end within %d ms", timeout_ms)
        return done
