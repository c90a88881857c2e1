"""``polarity-studio [PROJECT.db]``: the desktop app. ``--screenshot FILE`` renders the window with
the demo project (a term chosen, its prediction shown), saves it and exits.

Importing this module loads Qt and the store, never torch or transformers: those load on the
predictor thread after the window is on screen.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

_T0 = time.perf_counter()

from PySide6.QtCore import QEventLoop, QSize, QTimer  # noqa: E402
from PySide6.QtGui import QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import core  # noqa: E402
from app.context import AppContext  # noqa: E402
from app.controllers.project_controller import AppController, deferred_start  # noqa: E402
from app.views.main_window import DEFAULT_SIZE, MainWindow  # noqa: E402
from app.state.settings import APPLICATION, ORGANIZATION  # noqa: E402
from app.startup_checks import EXIT_NO_DISPLAY, no_display_problem  # noqa: E402
from app.theme.style import apply_style  # noqa: E402
from app.controllers.team_controller import db_argument  # noqa: E402
from core.paths import resources_dir  # noqa: E402

log = logging.getLogger("app")
SCREENSHOT_MODEL_TIMEOUT_S = 90.0
SCREENSHOT_SCORING_TIMEOUT_S = 30.0


def process_age() -> float:
    """Seconds since this process started (from /proc where there is one, else since import)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _T0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="polarity-studio", description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", help="a project file (.db) to open")
    parser.add_argument("--db", nargs="?", const="", metavar="URL",
                        help="open a team project on a database server, e.g. postgresql+psycopg://USER@HOST/DB; "
                             "--db alone reads $POLARITY_DB_URL (the place for a password)")
    parser.add_argument("--screenshot", metavar="FILE", help="render the window to FILE (PNG) and exit")
    parser.add_argument("--size", metavar="WxH", help="with --screenshot: the window's size (default: %dx%d)"
                        % (DEFAULT_SIZE.width(), DEFAULT_SIZE.height()))
    parser.add_argument("--data-dir", help="folder for the demo project (default: the user's data folder)")
    parser.add_argument("--settings", metavar="INI", help="read and write settings in this ini file")
    parser.add_argument("--debug", action="store_true", help="log timings and events to stderr")
    parser.add_argument("--self-test", nargs="?", const="-", metavar="FILE",
                        help="check the installed program offscreen in a temporary folder (window, demo project, "
                             "bundled encoder, a prediction, a tiny training step); print one JSON line "
                             "(and write it to FILE) and exit 0 if all passed")
    parser.add_argument("--version", action="version", version=f"%(prog)s {core.__version__}")
    return parser.parse_args(list(sys.argv[1:] if argv is None else argv))


def make_application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "polarity-studio.svg")))
    apply_style(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def build(ctx: AppContext) -> tuple[MainWindow, AppController]:
    """The window and its controllers for ``ctx`` (tests call this with a temporary context)."""
    window = MainWindow(ctx.settings)
    return window, AppController(window, ctx)


def preload_first_model(ctx: AppContext, start_with: str | None = None) -> bool:
    """Start opening the ONNX export of the model the first prediction will need, while the window
    is built (core.serve.preload; one onnxruntime thread, as the predictor lane loads it): on a first
    launch the demo project's model, a copy of the starter; on a returning user's launch (or with a
    project file given) that local project's active model, found by one read-only sqlite query.
    Server projects are not preloaded (their lookup needs the network)."""
    from app.state.app_state import is_url
    from app.state.settings import Key
    from core.serve.preload import active_model_folder, preload

    if ctx.settings.get(Key.DEVICE) == "cuda":
        return False
    where = start_with or ctx.settings.get(Key.LAST_PROJECT)
    if not where:
        return preload(ctx.starter_model, threads=1)
    if is_url(str(where)):
        return False
    folder = active_model_folder(str(where))
    return folder is not None and preload(folder, threads=1)


def main(argv: Sequence[str] | None = None) -> int:
    if (no_display := no_display_problem(argv)) is not None:  # before Qt aborts the process (exit 134)
        print(no_display, file=sys.stderr)
        return EXIT_NO_DISPLAY
    args = parse_args(argv)
    start_with = db_argument(args.db) or args.project  # --db without a URL and no $POLARITY_DB_URL exits here
    logging.basicConfig(level=logging.DEBUG if args.debug or os.environ.get("POLARITY_STUDIO_DEBUG") else
                        logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.self_test:
        from app.self_test import run_self_test

        return run_self_test(args.self_test)
    app = make_application()
    if args.screenshot:
        return screenshot(args)
    ctx = AppContext.from_environment(args.data_dir, args.settings)
    preload_first_model(ctx, start_with)
    window, controller = build(ctx)
    window.show()
    QTimer.singleShot(0, window, _report_shown)
    close_on_signals(window)
    deferred_start(controller, start_with)
    return app.exec()


def close_on_signals(window: MainWindow) -> None:
    """Ctrl+C or SIGTERM in the terminal close the window the normal way (training cancelled,
    the store closed). Qt's event loop runs in C++, so a timer lets Python's handler run."""
    def handler(_signum: int, _frame: object) -> None:
        window.close()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
    timer = QTimer(window)
    timer.timeout.connect(_wake)
    timer.start(250)


def _wake() -> None:
    """Nothing: returning to Python is the point (pending signal handlers run)."""


def _report_shown() -> None:
    seconds = process_age()
    QApplication.instance().setProperty("startup_seconds", seconds)
    log.info("window shown %.2f s after process start", seconds)


def wait_until(condition, timeout_s: float, step_ms: int = 50) -> bool:  # type: ignore[no-untyped-def]
    """Run the event loop until ``condition()`` is true or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    while not condition():
        if time.monotonic() > deadline:
            return False
        QTimer.singleShot(step_ms, loop.quit)
        loop.exec()
    return True


def screenshot(args: argparse.Namespace) -> int:
    """Render the window with the demo project (or ``args.project``), a term chosen and its
    prediction shown; save to ``args.screenshot``. A throwaway data folder and settings are
    used unless given, so this never touches the person's own."""
    with tempfile.TemporaryDirectory(prefix="polarity-shot-") as tmp:
        ctx = AppContext.from_environment(args.data_dir or os.environ.get("POLARITY_STUDIO_HOME") or tmp,
                                          args.settings or str(Path(tmp) / "settings.ini"))
        window, controller = build(ctx)
        window.setMinimumSize(0, 0)  # the picture is exactly the size asked for
        window.resize(_size(args.size))
        window.show()
        _report_shown()
        opened = controller.open_path(args.project) if args.project else controller.open_demo()
        if not opened:
            print(f"polarity-studio: cannot open {args.project or 'the demo project'}", file=sys.stderr)
            return 2
        predictor = controller.predictor
        if not wait_until(lambda: predictor.state in ("ready", "failed", "none"), SCREENSHOT_MODEL_TIMEOUT_S):
            log.warning("the model did not load within %.0f s; the screenshot shows it loading",
                        SCREENSHOT_MODEL_TIMEOUT_S)
        finished: list[int] = []
        predictor.scoring_finished.connect(finished.append)
        if predictor.state == "ready" and predictor.model is not None and predictor.model.version_id is not None:
            wait_until(lambda: bool(finished), SCREENSHOT_SCORING_TIMEOUT_S)
        _pick_term_to_show(controller)
        if predictor.state == "ready":
            wait_until(lambda: window.term_panel.bars.prediction() is not None, 10.0)
        wait_until(lambda: False, 0.3)  # let the last paints land
        target = Path(args.screenshot)
        target.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(target))
        window.close()
        print(f"{'saved' if ok else 'could not save'} {target}")
        return 0 if ok else 1


def _size(text: str | None) -> QSize:
    if not text:
        return DEFAULT_SIZE
    width, _, height = text.lower().partition("x")
    return QSize(int(width), int(height))


def _pick_term_to_show(controller: AppController) -> None:
    """A sentence with a labeled and an unlabeled term, the unlabeled one chosen: both kinds show."""
    labeling = controller.labeling
    model = labeling.model
    for row in range(min(model.rowCount(), 60)):
        rec = model.record(row)
        if rec and any(t.label for t in rec.terms) and any(t.label is None for t in rec.terms) and len(rec.text) < 140:
            labeling.select_row(row)
            return
    labeling.select_row(0)


if __name__ == "__main__":
    sys.exit(main())
