"""Young garbage collections only, while a long background job runs in the window's process.

A full (oldest-generation) pass of Python's cyclic collector walks every tracked object of the
process while holding the interpreter lock. With a model loaded (torch, transformers, a parsed
workbook) that is millions of objects, and the window froze for 0.3-1.2 s at each pass: measured
during Suggest terms on 1,000 sentences, 7 stalls over 0.4 s, the longest 1.16 s; with the full
passes held back, 2 (the torch import at the start, and one of 0.34 s). Young passes stay on:
they collect the short-lived cycles a job makes (a session and its rows, per chunk) and cost
little, so memory stays flat. Counted, as jobs may overlap; the old thresholds come back when
the last one ends. Reference counting frees everything else as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0
_saved: tuple[int, ...] = ()
NEVER = 1 << 30  # a threshold for the oldest generation that is never reached


@contextmanager
def young_collections_only() -> Iterator[None]:
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1] if len(_saved) > 1 else 10, NEVER)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_saved)
