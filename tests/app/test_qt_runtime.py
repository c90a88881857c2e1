"""PySide6-Essentials 6.12.0 (abi3) drops a reference to None on every void C++ call under
CPython 3.11, aborting the process after a few thousand paints. pyproject.toml excludes it;
this test fails if an install brings such a build back."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_many_void_calls_do_not_abort_the_interpreter() -> None:
    code = textwrap.dedent("""
        import os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtGui import QFont
        font = QFont()
        for _ in range(20000):
            font.setPointSizeF(10.0)  # returns void
        print("alive")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "alive" in done.stdout
