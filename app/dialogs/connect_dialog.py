"""Connect to server: the URL of a team project on PostgreSQL, its password, the shared models
folder and the name labels are recorded under. Layout and checking only; ``AppController``
connects (in a worker, so an unreachable server never freezes the window) and closes it.

The password has a field of its own and goes nowhere but the connection: a password pasted
into the URL is moved to that field, and ``ConnectRequest.url`` never holds one.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)
from sqlalchemy.engine import URL

from app.state.app_state import plain_url, split_url
from app.theme.style import LABEL_COLORS
from core.domain import Polarity
from core.storage import StoreError

PLACEHOLDER_URL = "postgresql+psycopg://user@host:5432/database"
DRIVER = "postgresql+psycopg"


@dataclass(frozen=True)
class ConnectRequest:
    url: str          # without the password
    password: str     # "" for none (then $POLARITY_DB_URL's or this session's, if any)
    models_dir: str   # "" for the folder stored in the project
    author: str

    def full_url(self) -> URL:
        """The URL to connect with, password included (``str()`` of it shows the password as ***)."""
        url, _ = split_url(self.url)
        return url.set(password=self.password) if self.password else url


def parse_server_url(text: str) -> tuple[str, str | None]:
    """(URL without password, password) for a PostgreSQL URL; plain postgresql:// means psycopg 3.

    Raises StoreError (password masked) for anything else."""
    if not text.strip():
        raise StoreError(f"enter the server's URL, e.g. {PLACEHOLDER_URL}")
    url, password = split_url(text)
    if url.get_backend_name() != "postgresql":
        raise StoreError(f"{plain_url(url)}: not a PostgreSQL URL (a project file is opened with Open project)")
    if url.drivername == "postgresql":
        url = url.set(drivername=DRIVER)
    if not url.database:
        raise StoreError(f"{plain_url(url)}: the URL names no database (…/database at the end)")
    return plain_url(url), password


class ConnectDialog(QDialog):
    """Emits ``connectRequested(ConnectRequest)``; stays open (busy) until the controller closes it."""

    connectRequested = Signal(object)

    def __init__(self, parent: QWidget | None, url: str = "", password: str = "", models_dir: str = "",
                 author: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("connectDialog")
        self.setWindowTitle("Connect to server")
        self.setMinimumWidth(600)
        intro = QLabel("Open a team project on a PostgreSQL server. Everyone's labels show up here as they "
                       "are made, and the models trained by any member are shared.")
        intro.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.ExpandingFieldsGrow)
        self.url_edit = QLineEdit(url)
        self.url_edit.setPlaceholderText(PLACEHOLDER_URL)
        self.url_edit.setAccessibleName("Server URL")
        form.addRow("Server URL", self.url_edit)
        self.password_edit = QLineEdit(password)
        self.password_edit.setEchoMode(QLineEdit.Password)
        self.password_edit.setPlaceholderText("none, or the one this session already used")
        self.password_edit.setAccessibleName("Password")
        form.addRow("Password", self.password_edit)
        self.models_edit = QLineEdit(models_dir)
        self.models_edit.setPlaceholderText("the folder stored in the project")
        self.models_edit.setToolTip("Where trained models are kept: a folder every team member reaches")
        browse = QPushButton("Browse…")
        row = QHBoxLayout()
        row.addWidget(self.models_edit, 1)
        row.addWidget(browse)
        form.addRow("Shared models folder", row)
        self.author_edit = QLineEdit(author)
        self.author_edit.setToolTip("Your labels are recorded under this name")
        form.addRow("Your name", self.author_edit)
        hint = QLabel("The password is used for this session only: it is never saved, nor shown in the "
                      "recent projects. Set POLARITY_DB_URL to connect without typing it.")
        hint.setProperty("muted", True)
        hint.setWordWrap(True)
        self.status_label = QLabel("")
        self.status_label.setObjectName("connectStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.RichText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.connect_button = self.buttons.addButton("Connect", QDialogButtonBox.AcceptRole)
        self.connect_button.setDefault(True)
        outer = QVBoxLayout(self)
        outer.setSpacing(10)
        outer.addWidget(intro)
        outer.addLayout(form)
        outer.addWidget(hint)
        outer.addWidget(self.status_label)
        outer.addWidget(self.buttons)
        browse.clicked.connect(self._browse)
        self.url_edit.editingFinished.connect(self._take_password_from_url)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def request(self) -> ConnectRequest:
        """What the fields ask for; raises StoreError (password masked) for a URL that cannot work."""
        url, in_url = parse_server_url(self.url_edit.text())
        return ConnectRequest(url, self.password_edit.text() or in_url or "", self.models_edit.text().strip(),
                              self.author_edit.text().strip())

    @Slot()
    def submit(self) -> None:
        self._take_password_from_url()
        try:
            request = self.request()
        except StoreError as exc:
            self.show_problem(str(exc))
            return
        self.set_busy(True)
        self.connectRequested.emit(request)

    def set_busy(self, busy: bool) -> None:
        for widget in (self.url_edit, self.password_edit, self.models_edit, self.author_edit, self.connect_button):
            widget.setEnabled(not busy)
        self.status_label.setProperty("muted", busy)
        self.status_label.setText("Connecting…" if busy else "")
        self.style().polish(self.status_label)

    def show_problem(self, text: str) -> None:
        self.set_busy(False)
        color = LABEL_COLORS[Polarity.NEGATIVE].text.name()
        self.status_label.setText(f"<span style='color:{color}'>{html.escape(text)}</span>")

    @Slot()
    def _take_password_from_url(self) -> None:
        """A password typed into the URL moves to the password field (and out of the URL)."""
        text = self.url_edit.text().strip()
        if "://" not in text:
            return
        try:
            url, password = split_url(text)
        except StoreError:
            return  # said on Connect
        if password is not None:
            if not self.password_edit.text():
                self.password_edit.setText(password)
            self.url_edit.setText(plain_url(url))

    @Slot()
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Shared models folder", self.models_edit.text())
        if folder:
            self.models_edit.setText(folder)
