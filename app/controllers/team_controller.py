"""Team projects on a database server: the Connect dialog, ``--db URL``, reopening a recent server.

A server is first reached from a worker (an unreachable one takes seconds to fail; the window
answers meanwhile), then the project is opened on the GUI thread like a file (``AppState.open``).
The password never leaves memory: the recent list keeps the URL without it, and reopening a
recent server asks for it again, unless ``$POLARITY_DB_URL`` names the same server with one.
Errors name the URL with the password as ***.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.context import AppContext
from app.dialogs.connect_dialog import ConnectDialog, ConnectRequest, parse_server_url
from app.dialogs.error_dialog import show_error
from app.services.project_service import reach_job
from app.state.app_state import AppState, is_url, split_url
from app.state.settings import Key
from app.views.main_window import MainWindow
from app.workers.worker import Worker, start_worker, stop_and_wait
from core.storage import ENV_DB_URL
from core.storage.db import display, mask

log = logging.getLogger(__name__)


class TeamController(QObject):
    connected = Signal(str)  # the server project's URL (no password), once it is open

    def __init__(self, window: MainWindow, state: AppState, ctx: AppContext) -> None:
        super().__init__(window)
        self.w, self.state, self.ctx = window, state, ctx
        self._reaching: tuple[Any, Worker, ConnectRequest] | None = None
        self.connect_box: ConnectDialog | None = None
        self._connect_callbacks()

    def _connect_callbacks(self) -> None:
        self.w.actions["connect_server"].triggered.connect(self._on_connect_action)

    @Slot()
    def _on_connect_action(self) -> None:
        self.connect_dialog()

    def connect_dialog(self, url: str | None = None) -> ConnectDialog:
        """The Connect dialog, prefilled: ``url`` (a recent one), else $POLARITY_DB_URL, else the last server."""
        env_url, env_password = _env_server()
        text = url or env_url or next((p for p in self.ctx.settings.get(Key.RECENT_PROJECTS) if is_url(p)), "")
        password = env_password if env_password and env_url and _same_server(text, env_url) else ""
        models = self.state.user_models_dir() or ""
        if not models and self.state.project is not None and self.state.is_server and _same_server(text, self.state.path):
            models = str(self.state.project.models_dir)
        if self.connect_box is not None:
            self.connect_box.close()
        box = ConnectDialog(self.w, text, password, models, self.ctx.author)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.connectRequested.connect(self.connect_server)
        box.destroyed.connect(self._on_connect_box_gone)
        self.connect_box = box
        box.open()
        return box

    @Slot()
    def _on_connect_box_gone(self) -> None:
        self.connect_box = None

    def reconnect(self, url: str) -> None:
        """A recent server: connect at once when $POLARITY_DB_URL holds its password, else ask."""
        env_url, env_password = _env_server()
        if env_password and env_url and _same_server(url, env_url):
            self.connect_url(url)
        else:
            self.connect_dialog(url)

    def connect_url(self, text: str) -> bool:
        """``--db URL``: connect with the URL's password, else $POLARITY_DB_URL's for the same server."""
        try:
            url, password = parse_server_url(text)
        except Exception as exc:  # noqa: BLE001 - StoreError with the password masked
            show_error(self.w, "Cannot connect to the server", exc)
            return False
        env_url, env_password = _env_server()
        if not password and env_password and env_url and _same_server(url, env_url):
            password = env_password
        return self.connect_server(ConnectRequest(url, password or "", "", self.ctx.author))

    @Slot(object)
    def connect_server(self, request: ConnectRequest) -> bool:
        """Reach the server in a worker, then open the project on the GUI thread (see the module)."""
        if self._reaching is not None:
            return False
        worker = Worker(reach_job, request.full_url(), request.models_dir or self.state.user_models_dir())
        worker.finished.connect(self._on_reached)
        worker.failed.connect(self._on_not_reached)
        worker.cancelled.connect(self._on_reach_cancelled)
        self._reaching = (start_worker(worker, self), worker, request)
        self.w.show_message(f"Connecting to {display(request.full_url())}…")
        return True

    @Slot(object)
    def _on_reached(self, _ok: Any) -> None:
        assert self._reaching is not None
        request = self._reaching[2]
        self._reaching = None
        self.w.show_message("")
        try:
            self.state.open(request.url, password=request.password or None, models_dir=request.models_dir or None,
                            author=request.author or self.ctx.author)
        except Exception as exc:  # noqa: BLE001
            self._connect_failed(request, str(exc))
            return
        if request.author:
            self.ctx.set_author(request.author)
        self.connected.emit(str(self.state.path))  # the URL without its password
        if self.connect_box is not None:
            self.connect_box.accept()
        self.w.show_message(f"Connected to {self.state.location}", 4000)

    @Slot()
    def _on_reach_cancelled(self) -> None:
        self._on_not_reached("cancelled")

    @Slot(str)
    def _on_not_reached(self, message: str) -> None:
        reaching, self._reaching = self._reaching, None
        self.w.show_message("")
        if reaching is not None:
            worker = reaching[1]
            self._connect_failed(reaching[2], str(worker.error) if worker.error is not None else message)

    def _connect_failed(self, request: ConnectRequest, reason: str) -> None:
        url = request.full_url()
        where = display(url)
        text = mask(reason, url)
        log.info("cannot connect to %s: %s", where, text)
        for prefix in (f"{where}: ", f"{display(url._replace(password=None))}: "):
            text = text.removeprefix(prefix)  # the URL has a line of its own
        if self.connect_box is not None:
            self.connect_box.show_problem("Not connected (see the message).")
        show_error(self.connect_box or self.w, "Cannot connect to the server", text, where=("Server", where))

    def shutdown(self) -> None:
        if self._reaching is not None:
            stop_and_wait(*self._reaching[:2], timeout_ms=15000)
            self._reaching = None


def _env_server() -> tuple[str, str | None]:
    """$POLARITY_DB_URL as (URL without password, password); ("", None) when unset or unreadable."""
    text = os.environ.get(ENV_DB_URL, "").strip()
    if not text:
        return "", None
    try:
        url, password = parse_server_url(text)
    except Exception:  # noqa: BLE001 - a broken variable is ignored here (the CLI reports it)
        return "", None
    return url, password


def _same_server(a: Any, b: Any) -> bool:
    """Same host, port, user and database (the password and driver aside)."""
    try:
        ua, ub = split_url(str(a))[0], split_url(str(b))[0]
    except Exception:  # noqa: BLE001
        return False
    return (ua.host, ua.port, ua.username, ua.database, ua.query) == (ub.host, ub.port, ub.username, ub.database,
                                                                     ub.query)


def db_argument(value: str | None) -> str | None:
    """``polarity-studio --db URL``: the URL; ``--db`` alone: $POLARITY_DB_URL; not given: None."""
    if value is None:
        return None
    url = value.strip() or os.environ.get(ENV_DB_URL, "").strip()
    if not url:
        print(f"polarity-studio: --db needs a URL (or set {ENV_DB_URL})", file=sys.stderr)
        raise SystemExit(2)
    return url
