"""Checks made before Qt starts, so a missing desktop gets one clear line instead of Qt's abort.

Without a display (an ssh session, a server) Qt's xcb plugin fails and aborts the process (exit
134) with a misleading hint about libxcb-cursor0. This module reads only the environment and
the arguments; it imports nothing from Qt.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, Sequence

EXIT_NO_DISPLAY = 2
# Flags that never open a window on the desktop: argparse answers them, or they render offscreen.
_NO_WINDOW_FLAGS = ("--help", "-h", "--version", "--self-test")
_SCREENSHOT_FLAG = "--screenshot"
# Platform plugins that need a display server; any other QT_QPA_PLATFORM (offscreen, minimal,
# vnc, eglfs, linuxfb) draws without one.
_DISPLAY_PLATFORMS = ("", "xcb", "wayland", "wayland-egl")

NO_DISPLAY_MESSAGE = ("polarity-studio: no display (DISPLAY and WAYLAND_DISPLAY are not set): the desktop app "
                      "needs a desktop session; `polarity` is the command line (polarity --help)")


def _has_flag(argv: Sequence[str], flag: str) -> bool:
    return any(arg == flag or arg.startswith(flag + "=") for arg in argv)


def no_display_problem(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
                       platform: str = sys.platform) -> str | None:
    """The one line to print when the app cannot show a window here, else None.

    Only Linux and the other X11/Wayland systems are checked: Windows and macOS always have a
    display for a desktop program. ``--screenshot`` with no display renders offscreen (it sets
    QT_QPA_PLATFORM=offscreen in ``environ`` when that is ``os.environ``).
    """
    env = os.environ if environ is None else environ
    args = list(sys.argv[1:] if argv is None else argv)
    if platform.startswith(("win", "darwin")) or any(_has_flag(args, f) for f in _NO_WINDOW_FLAGS):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    if env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower() not in _DISPLAY_PLATFORMS:
        return None
    if _has_flag(args, _SCREENSHOT_FLAG):
        if environ is None:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    return NO_DISPLAY_MESSAGE
