"""Entry point of the frozen build: ``polarity`` is the command line, anything else the desktop app.

On Linux and macOS the build has one executable, ``polarity-studio``, and ``polarity`` is a
symbolic link to it (one copy of the Python archive instead of two, ~70 MB). On Windows, where the
app is a windowed program without a console, ``polarity.exe`` is a second, console executable
built from this same script.
"""

import multiprocessing
import os
import sys
from pathlib import Path


def wants_cli() -> bool:
    return Path(sys.argv[0]).stem.lower() == "polarity"


if __name__ == "__main__":
    multiprocessing.freeze_support()
    # A windowed build (Windows, macOS) has no console: give libraries that print somewhere to write.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if wants_cli():
        from core.cli import main
    else:
        from app.main import main
    sys.exit(main())
