"""core.serve.runs: batches run side by side come back in their order, a stream is read only a
few batches ahead, an error reaches the caller, and the session's thread plan."""

from __future__ import annotations

import threading
import time

import pytest

from core.serve import runs


def test_results_come_back_in_order_even_when_later_ones_finish_first():
    finished: list[int] = []

    def work(i: int) -> int:
        time.sleep(0.02 if i % 3 == 0 else 0.001)  # every third item is the slow one
        finished.append(i)
        return i * i

    assert list(runs.in_order(work, range(12), 3)) == [i * i for i in range(12)]
    assert finished != sorted(finished)  # they did overlap (and finished out of order)


def test_a_long_stream_is_read_only_a_few_items_ahead():
    taken: list[int] = []

    def items():
        for i in range(1000):
            taken.append(i)
            yield i

    stream = runs.in_order(lambda i: i, items(), 2)
    assert next(stream) == 0
    assert len(taken) <= 2 * 2 + 1
    stream.close()


def test_an_error_in_a_run_reaches_the_caller_and_the_threads_end():
    def work(i: int) -> int:
        if i == 5:
            raise ValueError("bad batch 5")
        return i

    before = threading.active_count()
    with pytest.raises(ValueError, match="bad batch 5"):
        list(runs.in_order(work, range(20), 2))
    assert threading.active_count() <= before


def test_one_run_at_a_time_calls_in_the_callers_thread():
    seen = []
    assert list(runs.in_order(lambda i: seen.append(threading.get_ident()) or i, range(3), 1)) == [0, 1, 2]
    assert set(seen) == {threading.get_ident()}


def test_plan_auto_is_one_core_a_run_and_an_explicit_count_is_kept(monkeypatch):
    monkeypatch.setattr(runs, "cores", lambda: 4)
    assert runs.plan(0) == (1, 4)
    assert runs.plan(1) == (1, 1)
    assert runs.plan(3) == (3, 1)


def test_cores_counts_the_cores_this_process_may_use():
    assert 1 <= runs.cores() <= 4096
