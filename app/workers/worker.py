"""The one Worker type: a plain core function run off the GUI thread, reporting through signals.

The work is a plain function ``fn(*args, on_progress, should_stop, **kwargs)`` (it knows
nothing of Qt). ``Worker`` wraps it like superqt's workers: cooperative cancel through a
thread-safe flag, every outcome as a signal (finished / failed / cancelled), exceptions never
escaping the thread. ``on_progress(event)`` takes any payload (core's ``TrainingProgress``, a
service's own record) and delivers it as the ``progress`` signal.

Two ways to run one:
- ``start_worker`` gives a one-off job its own QThread, the Buzz way (moveToThread, started ->
  run, outcome -> quit, finished -> wait, then deleteLater); ``stop_and_wait`` shuts it down from closeEvent.
- ``WorkerLane`` is one long-lived thread that runs workers one after another, in the order
  submitted: for services whose state must stay on one thread (the predictor's loaded model,
  a poll connection). The state is a plain object that only the lane's jobs touch.
Never ``QThread.terminate()``: it can kill a thread holding a lock or mid-write to the project.

Only bound methods are connected across threads: a lambda has no thread affinity, so Qt
would run it in the emitting (worker) thread.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from core.ml.events import TrainingCancelled

log = logging.getLogger(__name__)

_ORPHANS: list[QThread] = []  # threads started without a parent, kept alive until they end


def is_cancellation(exc: BaseException) -> bool:
    """A stop on request: core's ``TrainingCancelled`` (torch-free, so caught by type)."""
    return isinstance(exc, TrainingCancelled)


def error_text(exc: BaseException) -> str:
    """The text shown to people. Project errors (FormatError "file:line: reason", ...) carry a
    message written for them and pass through intact; built-in ones get their type in front,
    because "'label'" alone (a KeyError) says nothing."""
    message = str(exc).strip()
    if not message:
        return type(exc).__name__
    if type(exc).__module__ == "builtins":
        return f"{type(exc).__name__}: {message}"
    return message


class Worker(QObject):
    """Runs ``fn(*args, on_progress=..., should_stop=..., **kwargs)`` once, in whatever thread
    it was moved to. Exactly one of finished / failed / cancelled is emitted per run.

    When ``cancel()`` was called, the outcome is ``cancelled`` even if ``fn`` then returned
    normally: the person asked to stop, and a result they no longer expect is dropped.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, quiet: bool = False, **kwargs: Any) -> None:
        super().__init__()  # no parent: a QObject with a parent cannot be moved to another thread
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._quiet = quiet  # expected failures (a poll while the server is away) are not logged as errors
        self._stop = threading.Event()
        self._ran = False
        self.error: BaseException | None = None  # the exception behind ``failed``, for isinstance checks

    @property
    def name(self) -> str:
        return getattr(self._fn, "__name__", "fn")

    def cancel(self) -> None:
        """Ask the function to stop at its next ``should_stop()`` check. Safe from any thread."""
        self._stop.set()

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def report_progress(self, event: Any) -> None:
        """The ``on_progress`` callback handed to ``fn``; runs in the worker thread, the signal
        is delivered queued to receivers in the GUI thread."""
        self.progress.emit(event)

    @Slot()
    def run(self) -> None:
        if self._ran:  # a worker is one job; running it twice would emit two outcomes
            log.warning("Worker.run called twice; ignored")
            return
        self._ran = True
        if self._stop.is_set():
            self.cancelled.emit()
            return
        kwargs = dict(self._kwargs, on_progress=self.report_progress, should_stop=self.should_stop)
        try:
            result = self._fn(*self._args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure must become a signal, not a dead thread
            if is_cancellation(exc) or self._stop.is_set():
                self.cancelled.emit()
                return
            self.error = exc
            if self._quiet:
                log.debug("worker %s failed: %s", self.name, exc)
            else:
                log.error("worker %s failed:\n%s", self.name, "".join(traceback.format_exception(exc)))
            self.failed.emit(error_text(exc))
            return
        if self._stop.is_set():
            self.cancelled.emit()
        else:
            self.finished.emit(result)


def _delete_after_outcome(worker: Worker) -> None:
    for signal in (worker.finished, worker.failed, worker.cancelled):
        signal.connect(worker.deleteLater)


def start_worker(worker: Worker, parent: QObject | None) -> QThread:
    """Start ``worker`` on a new QThread owned by ``parent``; returns the thread.

    Connect to the worker's signals before calling this (a fast job may finish at once).
    The thread quits after the outcome signal and both objects delete themselves later;
    keep the returned thread only to pass it to ``stop_and_wait``.
    """
    thread = QThread(parent)
    thread.setObjectName(f"worker:{worker.name}")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.failed.connect(thread.quit)
    worker.cancelled.connect(thread.quit)
    thread.finished.connect(worker.deleteLater)
    # Not finished -> thread.deleteLater: finished() is emitted from inside the ending thread, and
    # the GUI thread could then destroy the QThread while its native thread is still in its
    # finish step (a rare crash in the app tests). The reaper waits for the end, then deletes.
    thread.finished.connect(_reaper().reap)
    # The Python wrapper of the worker must outlive the run even if the caller drops it.
    thread._worker_ref = worker  # type: ignore[attr-defined]
    if parent is None:
        _ORPHANS[:] = [t for t in _ORPHANS if shiboken6.isValid(t) and not t.isFinished()]
        _ORPHANS.append(thread)
    thread.start()
    return thread


class _ThreadReaper(QObject):
    """Lives in the GUI thread; deletes a one-off worker's QThread once its native thread has ended."""

    @Slot()
    def reap(self) -> None:
        thread = self.sender()
        if isinstance(thread, QThread) and shiboken6.isValid(thread):
            thread.wait()  # queued after finished(): the thread is past its last line, or nearly
            thread.deleteLater()


_REAPER: list[_ThreadReaper] = []


def _reaper() -> _ThreadReaper:
    """The one reaper, made on first use by the thread that starts workers (the GUI thread)."""
    if not _REAPER or not shiboken6.isValid(_REAPER[0]):
        _REAPER[:] = [_ThreadReaper()]
    return _REAPER[0]


def is_running(thread: QThread | None) -> bool:
    """Whether ``thread`` still runs; safe after it ended and deleted itself (deleteLater)."""
    return thread is not None and shiboken6.isValid(thread) and thread.isRunning()


def stop_and_wait(thread: QThread | None, worker: Worker | None, timeout_ms: int = 5000) -> bool:
    """Cancel, quit and wait up to ``timeout_ms``; True when the thread has ended (or was gone).

    For closeEvent: a cooperative function stops within a second. If it does not, the caller
    decides (e.g. warn and keep the window open) — the thread is never terminated.
    """
    if worker is not None and shiboken6.isValid(worker):
        worker.cancel()
    if thread is None or not shiboken6.isValid(thread):
        return True
    try:
        thread.quit()  # takes effect once run() returns: QThread.exec() sees the exit request
        return bool(thread.wait(timeout_ms))
    except RuntimeError:  # deleted by deleteLater between the check and the call
        return True


class WorkerLane(QObject):
    """One long-lived thread running workers in the order submitted (one at a time)."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread(self)
        self._thread.setObjectName(name)
        self._pending: list[Worker] = []  # submitted and not yet ended, to cancel at shutdown
        self._thread.start()

    def submit(self, worker: Worker) -> Worker:
        """Queue ``worker`` on the lane; connect to its signals first. Returns it."""
        if not self.is_running():
            worker.cancel()
        self._forget()
        self._pending.append(worker)
        worker.finished.connect(self._forget)
        worker.failed.connect(self._forget)
        worker.cancelled.connect(self._forget)
        _delete_after_outcome(worker)
        worker.moveToThread(self._thread)
        QTimer.singleShot(0, worker, worker.run)  # runs in the lane's thread, after the jobs before it
        return worker

    @Slot()
    def _forget(self) -> None:
        # Only workers already deleted (deleteLater, on the lane) are dropped: the Python wrapper
        # must outlive its C++ object, or dropping it would delete a worker mid-run from this thread.
        self._pending = [w for w in self._pending if shiboken6.isValid(w)]

    def cancel_pending(self) -> None:
        for worker in self._pending:
            if shiboken6.isValid(worker):  # the running one too: it stops at its next check
                worker.cancel()

    def is_running(self) -> bool:
        return shiboken6.isValid(self._thread) and self._thread.isRunning()

    def stop(self, timeout_ms: int = 15000, last: Worker | None = None) -> bool:
        """Cancel what waits, run ``last`` (e.g. closing a connection on this thread), let the
        thread end and wait for it; never terminate. False if it did not end in time."""
        self.cancel_pending()
        if not self.is_running():
            return True
        if last is None:
            self._thread.quit()
        else:
            for signal in (last.finished, last.failed, last.cancelled):
                # direct: called in the lane's thread, since the GUI thread is blocked in wait()
                signal.connect(self._thread.quit, Qt.DirectConnection)
            self.submit(last)
        return bool(self._thread.wait(timeout_ms))
