"""Batches through one onnxruntime session from several threads at once, each run on one core.

A batch of a small encoder is a few milliseconds of small matrix products. Split over the cores
inside one run (onnxruntime's intra-op threads), each core waits for the others at every
operator. Two runs side by side, one core each, do not wait: on the 2-core machine 10-25 % more
sentences a second for the extractor, and ~13 % more with polarity (`terms extract`, README).
``InferenceSession.run`` is thread-safe and lets go of the GIL, so the threads share one session
(one copy of the weights). An explicit thread count (the app's ``threads=1``) keeps one run at a
time with that many intra-op threads, as before.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return max(1, len(affinity(0)) if affinity is not None else (os.cpu_count() or 1))


def plan(threads: int) -> tuple[int, int]:
    """(intra-op threads of the session, runs side by side) for a requested ``threads`` (0: auto)."""
    if threads:
        return threads, 1
    return 1, cores()


def in_order(work: Callable[[T], R], items: Iterable[T], runs: int) -> Iterator[R]:
    """``work(item)`` of each item, yielded in the items' order, at most ``runs`` running at once.

    At most ``2 * runs`` items are taken ahead of the one being yielded, so a long stream of
    batches stays at flat memory, and the threads end when the iterator is closed or exhausted.
    """
    if runs <= 1:
        for item in items:
            yield work(item)
        return
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(runs, thread_name_prefix="onnx-run") as pool:
        try:
            for item in items:
                pending.append(pool.submit(work, item))
                if len(pending) >= 2 * runs:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # closed early (an error, or a caller that stopped reading)
                future.cancel()

