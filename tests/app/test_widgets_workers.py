"""Worker + start_worker: outcomes as signals, cooperative cancel, ordered progress, clean shutdown.

Receivers are Slot methods of a QObject living in the GUI thread (never lambdas), as in the app:
``Relay`` records what arrives and re-emits it from the GUI thread, and qtbot waits on the
relay. (Waiting on the worker itself would run pytest-qt's plain-callable spies in the worker
thread, and the worker deletes itself once its thread ends.)
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import pytest
from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.workers import Worker, error_text, is_cancellation, is_running, start_worker, stop_and_wait


class FormatError(ValueError):
    """Stands in for core.formats' error: its message is written for people."""


class TrainingCancelled(Exception):
    pass


class Relay(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    event = Signal(object)

    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self.progress_seen: list[tuple[int, int, str]] = []
        self.events: list[Any] = []
        self.threads: set[int] = set()
        worker.progress.connect(self.on_progress)
        worker.finished.connect(self.on_finished)
        worker.failed.connect(self.on_failed)
        worker.cancelled.connect(self.on_cancelled)
        worker.event.connect(self.on_event)

    @Slot(int, int, str)
    def on_progress(self, step: int, total: int, message: str) -> None:
        self.threads.add(threading.get_ident())
        self.progress_seen.append((step, total, message))
        self.progress.emit(step, total, message)

    @Slot(object)
    def on_finished(self, result: Any) -> None:
        self.threads.add(threading.get_ident())
        self.finished.emit(result)

    @Slot(str)
    def on_failed(self, message: str) -> None:
        self.failed.emit(message)

    @Slot()
    def on_cancelled(self) -> None:
        self.cancelled.emit()

    @Slot(object)
    def on_event(self, payload: Any) -> None:
        self.events.append(payload)
        self.event.emit(payload)


def add(a: int, b: int, *, on_progress: Callable, should_stop: Callable) -> int:
    on_progress(1, 1, "adding")
    return a + b


def counting(n: int, *, on_progress: Callable, should_stop: Callable) -> str:
    for i in range(1, n + 1):
        on_progress(i, n, f"step {i}")
    return "done"


def broken(*, on_progress: Callable, should_stop: Callable) -> None:
    raise FormatError("data.tsv:7: expected 5 tab-separated fields, found 3")


def key_error(*, on_progress: Callable, should_stop: Callable) -> None:
    raise KeyError("label")


def long_job(raise_on_stop: bool, *, on_progress: Callable, should_stop: Callable) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if should_stop():
            if raise_on_stop:
                raise TrainingCancelled("training was cancelled")
            return "partial"
        time.sleep(0.01)
    return "ran to the end"


def with_epochs(*, on_progress: Callable, should_stop: Callable, on_epoch: Callable) -> int:
    for epoch in (1, 2):
        on_epoch({"epoch": epoch, "loss": 1.0 / epoch})
    return 2


@pytest.fixture
def owner(qtbot) -> QObject:
    """A parent for the threads, like the main window; threads are stopped at the end."""
    parent = QObject()
    yield parent
    for thread in parent.findChildren(QThread):
        stop_and_wait(thread, None, 2000)


def test_success_emits_finished_with_result(qtbot, owner: QObject) -> None:
    worker = Worker(add, 2, 3)
    relay = Relay(worker)
    with qtbot.waitSignal(relay.finished, timeout=3000) as blocker:
        thread = start_worker(worker, owner)
    assert blocker.args == [5]
    qtbot.waitUntil(lambda: not is_running(thread), timeout=3000)


def test_exception_emits_failed_with_its_message_intact(qtbot, owner: QObject) -> None:
    worker = Worker(broken)
    relay = Relay(worker)
    with qtbot.waitSignal(relay.failed, timeout=3000) as blocker:
        start_worker(worker, owner)
    assert blocker.args == ["data.tsv:7: expected 5 tab-separated fields, found 3"]
    assert isinstance(worker.error, FormatError)


def test_builtin_exceptions_get_their_type_named() -> None:
    assert error_text(KeyError("label")) == "KeyError: 'label'"
    assert error_text(FormatError("x.csv:2: bad")) == "x.csv:2: bad"
    assert error_text(RuntimeError()) == "RuntimeError"
    assert is_cancellation(TrainingCancelled()) and not is_cancellation(ValueError())


@pytest.mark.parametrize("raise_on_stop", [True, False])
def test_cancel_stops_a_long_job_within_a_second(qtbot, owner: QObject, raise_on_stop: bool) -> None:
    worker = Worker(long_job, raise_on_stop)
    relay = Relay(worker)
    with qtbot.assertNotEmitted(relay.failed), qtbot.assertNotEmitted(relay.finished):
        thread = start_worker(worker, owner)
        qtbot.wait(50)
        started = time.monotonic()
        with qtbot.waitSignal(relay.cancelled, timeout=1000):
            worker.cancel()
        assert time.monotonic() - started < 1.0
    qtbot.waitUntil(lambda: not is_running(thread), timeout=1000)


def test_progress_arrives_in_order_in_the_gui_thread(qtbot, owner: QObject) -> None:
    worker = Worker(counting, 5)
    relay = Relay(worker)
    with qtbot.waitSignals([relay.progress] * 5 + [relay.finished], order="strict", timeout=3000):
        start_worker(worker, owner)
    assert relay.progress_seen == [(i, 5, f"step {i}") for i in range(1, 6)]
    assert relay.threads == {threading.get_ident()}  # delivered queued, to the GUI thread


def test_event_kwarg_relays_callbacks(qtbot, owner: QObject) -> None:
    worker = Worker(with_epochs, event_kwarg="on_epoch")
    relay = Relay(worker)
    with qtbot.waitSignals([relay.event, relay.event, relay.finished], order="strict", timeout=3000):
        start_worker(worker, owner)
    assert [e["epoch"] for e in relay.events] == [1, 2]


def test_stop_and_wait_for_close_event(qtbot, owner: QObject) -> None:
    worker = Worker(long_job, True)
    thread = start_worker(worker, owner)
    qtbot.wait(50)
    started = time.monotonic()
    assert stop_and_wait(thread, worker, 3000) is True
    assert time.monotonic() - started < 1.0
    assert not is_running(thread)


def test_cancel_before_start_emits_cancelled(qtbot) -> None:
    worker = Worker(add, 1, 2)
    worker.cancel()
    with qtbot.waitSignal(worker.cancelled, timeout=1000):
        worker.run()  # the work function is plain: callable directly, no thread needed


def test_run_directly_in_this_thread(qtbot) -> None:
    worker = Worker(counting, 3)
    with qtbot.waitSignals([worker.progress] * 3 + [worker.finished], order="strict", timeout=1000):
        worker.run()
