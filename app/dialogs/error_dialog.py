"""Error and information boxes: file, line and reason when the error knows them.

Message boxes are opened window-modal with ``open()`` rather than ``exec()``: the event loop
keeps running (training progress, predictions) and tests can find and close them.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def error_details(exc: BaseException | str) -> tuple[str, str]:
    """(short text, detail) for an error; FormatError-like errors give file, line and reason."""
    path, line, reason = (getattr(exc, a, None) for a in ("path", "line", "reason"))
    if path and reason:
        where = f"File: {path}" + (f"\nLine: {line}" if line else "")
        return str(reason), f"{where}\nReason: {reason}"
    return str(exc), ""


def show_error(parent: QWidget, title: str, exc: BaseException | str, unchanged: bool = False,
               where: tuple[str, str] | None = None) -> QMessageBox:
    """A window-modal error box naming file, line and reason when known; returns it (already open).
    ``where``: (what, name) shown above the reason, e.g. ("Server", the URL with its password as ***)."""
    short, detail = error_details(exc)
    box = QMessageBox(QMessageBox.Critical, title, "", QMessageBox.Ok, parent)
    box.setObjectName("errorDialog")
    body = [f"<p><b>{html.escape(title)}</b></p>"]
    path, line = getattr(exc, "path", None), getattr(exc, "line", None)
    if where is not None:
        body.append(f"<p>{html.escape(where[0])}: <code>{html.escape(where[1])}</code></p>")
    if path:
        body.append(f"<p>File: <code>{html.escape(str(path))}</code>"
                    + (f"<br>Line: <b>{line}</b>" if line else "") + "</p>")
    body.append(f"<p>{html.escape(short)}</p>")
    if unchanged:
        body.append("<p>The project was not changed.</p>")
    box.setTextFormat(Qt.RichText)
    box.setText("".join(body))
    if detail:
        box.setDetailedText(detail)
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.open()
    return box


def show_info(parent: QWidget, title: str, text: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Information, title, text, QMessageBox.Ok, parent)
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.open()
    return box


def confirm(parent: QWidget, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text, QMessageBox.Yes | QMessageBox.No,
                                QMessageBox.No) == QMessageBox.Yes
