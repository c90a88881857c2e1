"""Without a display, ``polarity-studio`` says in one line that it needs a desktop session and exits 2.

Qt's xcb plugin would otherwise abort the process (exit 134) with a misleading hint about
libxcb-cursor0. Offscreen rendering, --self-test and --screenshot need no display and must still run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.startup_checks import EXIT_NO_DISPLAY, NO_DISPLAY_MESSAGE, no_display_problem

ROOT = Path(__file__).resolve().parents[2]
DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def headless_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DISPLAY_VARS}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    return {**env, **extra}


def run_studio(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    code = "import sys; from app.main import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_without_a_display_the_app_says_so_in_one_line_and_exits_2() -> None:
    proc = run_studio([], headless_env())
    assert proc.returncode == EXIT_NO_DISPLAY == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert lines == [NO_DISPLAY_MESSAGE]
    assert "desktop session" in lines[0] and "`polarity`" in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_an_explicit_xcb_platform_without_a_display_gets_the_same_line() -> None:
    proc = run_studio(["some-project.db"], headless_env(QT_QPA_PLATFORM="xcb"))
    assert proc.returncode == 2 and proc.stderr.strip() == NO_DISPLAY_MESSAGE


def test_version_needs_no_display() -> None:
    proc = run_studio(["--version"], headless_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("polarity-studio ")


@pytest.mark.parametrize(("args", "env"), [
    ([], {"QT_QPA_PLATFORM": "offscreen"}),
    ([], {"QT_QPA_PLATFORM": "minimal"}),
    (["--self-test"], {}),
    (["--self-test", "report.json"], {}),
    (["--help"], {}),
    ([], {"DISPLAY": ":0"}),
    ([], {"WAYLAND_DISPLAY": "wayland-0"}),
])
def test_these_start_without_a_display(args: list[str], env: dict[str, str]) -> None:
    assert no_display_problem(args, env, platform="linux") is None


@pytest.mark.parametrize(("args", "env"), [
    ([], {}),
    (["project.db"], {"QT_QPA_PLATFORM": "wayland"}),
    (["--db", "postgresql+psycopg://u@h/db"], {"DISPLAY": ""}),
])
def test_these_need_a_display(args: list[str], env: dict[str, str]) -> None:
    assert no_display_problem(args, env, platform="linux") == NO_DISPLAY_MESSAGE


def test_windows_and_macos_are_not_checked() -> None:
    assert no_display_problem([], {}, platform="win32") is None
    assert no_display_problem([], {}, platform="darwin") is None


def test_screenshot_without_a_display_renders_offscreen(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in DISPLAY_VARS:
        monkeypatch.delenv(var, raising=False)
    assert no_display_problem(["--screenshot", "shot.png"]) is None
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"
