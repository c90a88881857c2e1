"""Polarity Studio GUI (PySide6). Imports core; core never imports app.

Importing any ``app`` module first applies ``_guard_none_refcount``: the PySide6 6.12 abi3
wheel, run on CPython 3.11, drops a reference to ``None`` on every call of a C++ method that
returns void (``painter.setPen``, ``font.setWeight``...). On 3.12+ ``None`` is immortal and
that is harmless; on 3.11 a few thousand paints bring None's count to zero and the process
aborts with "Fatal Python error: none_dealloc" (measured here: -100 per 100 calls).
"""

from __future__ import annotations

import platform
import sys


def _guard_none_refcount() -> None:
    """Make ``None`` effectively immortal on CPython < 3.12, as 3.12 itself does (PEP 683).

    ``None`` is a static object that is never freed, so a huge reference count changes
    nothing but the fatal check; 2**60 survives ~10**18 leaked decrements.
    """
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return
    import ctypes

    refcnt = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is PyObject's first field
    if refcnt.value < 1 << 59:
        refcnt.value += 1 << 60


_guard_none_refcount()
