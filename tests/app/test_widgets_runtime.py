"""The guard in app/__init__.py: PySide6 6.12 (abi3) leaks a reference to None per void call
on CPython 3.11, which aborts the process after a few thousand paints unless None is immortal."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_many_void_calls_do_not_abort_the_interpreter() -> None:
    code = textwrap.dedent("""
        import os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        import app  # applies the guard
        from PySide6.QtGui import QFont
        font = QFont()
        for _ in range(20000):
            font.setPointSizeF(10.0)  # returns void: one leaked None reference each on 3.11
        print("alive")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "alive" in done.stdout
