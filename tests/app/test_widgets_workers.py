"""Worker, start_worker and WorkerLane: outcomes as signals, cooperative cancel, ordered progress,
clean shutdown, and jobs on one long-lived lane run in order on one thread.

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

from app.workers.worker import (Worker, WorkerLane, error_text, is_cancellation, is_running, start_worker,
                                stop_and_wait)
from core.formats import FormatError
from core.ml.events import TrainingCancelled, TrainingProgress


class Relay(QObject):
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self.progress_seen: list[Any] = []
        self.results: list[Any] = []
        self.threads: set[int] = set()
        worker.progress.connect(self.on_progress)
        worker.finished.connect(self.on_finished)
        worker.failed.connect(self.on_failed)
        worker.cancelled.connect(self.on_cancelled)

    @Slot(object)
    def on_progress(self, event: Any) -> None:
        self.threads.add(threading.get_ident())
        self.progress_seen.append(event)
        self.progress.emit(event)

    @Slot(object)
    def on_finished(self, result: Any) -> None:
        self.threads.add(threading.get_ident())
        self.results.append(result)
        self.finished.emit(result)

    @Slot(str)
    def on_failed(self, message: str) -> None:
        self.failed.emit(message)

    @Slot()
    def on_cancelled(self) -> None:
        self.cancelled.emit()


def add(a: int, b: int, *, on_progress: Callable, should_stop: Callable) -> int:
    on_progress(TrainingProgress("body", 1, 1, 1, 1))
    return a + b


def counting(n: int, *, on_progress: Callable, should_stop: Callable) -> str:
    for i in range(1, n + 1):
        on_progress(TrainingProgress("body", 1, 1, i, n, loss=1.0 / i))
    return "done"


def where(tag: int, *, on_progress: Callable, should_stop: Callable) -> tuple[int, int]:
    return tag, threading.get_ident()


def broken(*, on_progress: Callable, should_stop: Callable) -> None:
    raise FormatError("data.tsv", 7, "expected 5 tab-separated fields, found 3")


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
    assert error_text(FormatError("x.csv", 2, "bad")) == str(FormatError("x.csv", 2, "bad"))
    assert error_text(RuntimeError()) == "RuntimeError"


def test_core_s_training_cancelled_is_caught_by_its_type() -> None:
    class Cancelled(Exception):  # the same name, another class: not a cancellation any more
        pass

    assert is_cancellation(TrainingCancelled("training was cancelled"))
    assert not is_cancellation(ValueError()) and not is_cancellation(Cancelled())

    import core.ml.train

    assert core.ml.train.TrainingCancelled is TrainingCancelled  # training raises this very class


@pytest.mark.parametrize("raise_on_stop", [True, False])
def test_cancel_stops_a_long_job_within_a_second(qtbot, owner: QObject, raise_on_stop: bool) -> None:
    worker = Worker(long_job, raise_on_stop)
    relay = Relay(worker)
    with qtbot.assertNotEmitted(relay.failed), qtbot.assertNotEmitted(relay.finished):
        thread = start_worker(worker, owner)
        qtbot.wait(50)
        with qtbot.waitSignal(relay.cancelled, timeout=1000):  # the second is the point: the wait's limit
            worker.cancel()
    qtbot.waitUntil(lambda: not is_running(thread), timeout=1000)


def test_progress_arrives_in_order_in_the_gui_thread(qtbot, owner: QObject) -> None:
    worker = Worker(counting, 5)
    relay = Relay(worker)
    with qtbot.waitSignals([relay.progress] * 5 + [relay.finished], order="strict", timeout=3000):
        start_worker(worker, owner)
    assert [(e.step, e.total, e.loss) for e in relay.progress_seen] == [(i, 5, 1.0 / i) for i in range(1, 6)]
    assert relay.threads == {threading.get_ident()}  # delivered queued, to the GUI thread


def test_a_lane_runs_its_jobs_in_order_on_one_thread_that_is_not_the_gui_s(qtbot) -> None:
    lane = WorkerLane("test-lane")
    workers = [Worker(where, i) for i in range(4)]
    relays = [Relay(w) for w in workers]
    with qtbot.waitSignals([r.finished for r in relays], order="strict", timeout=3000):
        for w in workers:
            lane.submit(w)
    results = [r.results[0] for r in relays]
    assert [tag for tag, _ in results] == [0, 1, 2, 3]
    threads = {ident for _, ident in results}
    assert len(threads) == 1 and threading.get_ident() not in threads
    assert lane.stop(3000) and not lane.is_running()


def test_a_lane_s_last_job_runs_before_it_stops_and_waiting_jobs_are_cancelled(qtbot) -> None:
    lane = WorkerLane("test-lane")
    busy = Worker(long_job, True)
    waiting, last = Worker(add, 1, 2), Worker(add, 3, 4)
    relays = [Relay(w) for w in (busy, waiting, last)]
    for w in (busy, waiting):
        lane.submit(w)
    qtbot.wait(50)
    assert lane.stop(3000, last=last) and not lane.is_running()
    qtbot.waitUntil(lambda: relays[2].results == [7], timeout=2000)  # the closing job ran
    assert relays[1].results == []  # the job that only waited never ran


def test_stop_and_wait_for_close_event(qtbot, owner: QObject) -> None:
    worker = Worker(long_job, True)
    thread = start_worker(worker, owner)
    qtbot.wait(50)
    assert stop_and_wait(thread, worker, 1000) is True  # ended within the second it may take
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
