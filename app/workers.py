"""Run a plain core function on a QThread, reporting through signals.

The work is a plain function ``fn(*args, on_progress, should_stop, **kwargs)`` from core (it
knows nothing of Qt). ``Worker`` wraps it like superqt's workers: cooperative cancel through
a thread-safe flag, every outcome as a signal (finished / failed / cancelled), exceptions never
escaping the thread. ``start_worker`` wires it the Buzz way (moveToThread, started -> run,
outcome -> quit, finished -> deleteLater) and ``stop_and_wait`` shuts it down from closeEvent:
cancel, quit, wait. Never ``QThread.terminate()``: it can kill a thread holding a lock or
mid-write to the project.

Only bound methods are connected across threads: a lambda has no thread affinity, so Qt
would run it in the emitting (worker) thread.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)

# Exception class names that mean "stopped on request" (core.ml raises TrainingCancelled).
# Matched by name so app needs no import of torch-heavy modules to recognise them.
CANCEL_NAMES = frozenset({"TrainingCancelled", "Cancelled", "CancelledError"})

_ORPHANS: list[QThread] = []  # threads started without a parent, kept alive until they end


def is_cancellation(exc: BaseException) -> bool:
    return any(cls.__name__ in CANCEL_NAMES for cls in type(exc).__mro__)


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

    ``event_kwarg`` names an extra callback argument of ``fn`` (e.g. ``"on_epoch"`` of
    ``core.ml.train.train``) whose payloads are re-emitted as the ``event`` signal.
    When ``cancel()`` was called, the outcome is ``cancelled`` even if ``fn`` then returned
    normally: the person asked to stop, and a result they no longer expect is dropped.
    """

    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    event = Signal(object)

    def __init__(self, fn: Callable[..., Any], *args: Any, event_kwarg: str | None = None, **kwargs: Any) -> None:
        super().__init__()  # no parent: a QObject with a parent cannot be moved to another thread
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._event_kwarg = event_kwarg
        self._stop = threading.Event()
        self._ran = False
        self.error: BaseException | None = None  # the exception behind ``failed``, for isinstance checks

    def cancel(self) -> None:
        """Ask the function to stop at its next ``should_stop()`` check. Safe from any thread."""
        self._stop.set()

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def report_progress(self, step: int, total: int, message: str = "") -> None:
        """The ``on_progress`` callback handed to ``fn``; runs in the worker thread, the signal
        is delivered queued to receivers in the GUI thread."""
        self.progress.emit(int(step), int(total), str(message))

    def report_event(self, payload: Any) -> None:
        self.event.emit(payload)

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
        if self._event_kwarg:
            kwargs[self._event_kwarg] = self.report_event
        try:
            result = self._fn(*self._args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure must become a signal, not a dead thread
            if is_cancellation(exc) or self._stop.is_set():
                self.cancelled.emit()
                return
            self.error = exc
            log.error("worker %s failed:\n%s", getattr(self._fn, "__name__", self._fn),
                      "".join(traceback.format_exception(exc)))
            self.failed.emit(error_text(exc))
            return
        if self._stop.is_set():
            self.cancelled.emit()
        else:
            self.finished.emit(result)


def start_worker(worker: Worker, parent: QObject | None) -> QThread:
    """Start ``worker`` on a new QThread owned by ``parent``; returns the thread.

    Connect to the worker's signals before calling this (a fast job may finish at once).
    The thread quits after the outcome signal and both objects delete themselves later;
    keep the returned thread only to pass it to ``stop_and_wait``.
    """
    thread = QThread(parent)
    thread.setObjectName(f"worker:{getattr(worker._fn, '__name__', 'fn')}")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.failed.connect(thread.quit)
    worker.cancelled.connect(thread.quit)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    # The Python wrapper of the worker must outlive the run even if the caller drops it.
    thread._worker_ref = worker  # type: ignore[attr-defined]
    if parent is None:
        _ORPHANS[:] = [t for t in _ORPHANS if shiboken6.isValid(t) and not t.isFinished()]
        _ORPHANS.append(thread)
    thread.start()
    return thread


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
