"""Dialogs: error (file, line, reason), import and export file choice, keyboard shortcuts.

Message boxes are opened window-modal with ``open()`` rather than ``exec()``: the event loop
keeps running (training progress, predictions) and tests can find and close them.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.actions import shortcut_rows

# format -> (name for people, patterns) in core.formats.FORMATS order
FORMAT_FILTERS: dict[str, tuple[str, str]] = {
    "tsv": ("Seed TSV: polarity, category, term, start:end, sentence", "*.tsv *.csv"),
    "semeval14": ("SemEval-2014 XML (aspectTerms)", "*.xml"),
    "semeval16": ("SemEval-2016 XML (Opinions)", "*.xml"),
    "jsonl": ("JSON Lines", "*.jsonl *.ndjson"),
    "csv": ("CSV with a header row", "*.csv"),
}
EXTENSIONS = {"tsv": ".tsv", "semeval14": ".xml", "semeval16": ".xml", "jsonl": ".jsonl", "csv": ".csv"}
ALL_SUPPORTED = "All supported files (*.tsv *.csv *.jsonl *.ndjson *.xml)"


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


def ask_import_file(parent: QWidget, start_dir: str) -> tuple[str, str | None] | None:
    """(path, format or None to detect it) or None when cancelled."""
    filters = [ALL_SUPPORTED] + [f"{name} ({pat})" for name, pat in FORMAT_FILTERS.values()]
    path, chosen = QFileDialog.getOpenFileName(parent, "Import labeled or unlabeled terms", start_dir,
                                               ";;".join(filters))
    if not path:
        return None
    fmt = next((f for f, (name, pat) in FORMAT_FILTERS.items() if chosen == f"{name} ({pat})"), None)
    return path, fmt


class ExportDialog(QDialog):
    """Format, file, and whether to write every term with the model's prediction."""

    def __init__(self, parent: QWidget | None, start_dir: str, project_name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(560)
        form = QFormLayout()
        self.format_combo = QComboBox()
        for fmt, (name, _pat) in FORMAT_FILTERS.items():
            self.format_combo.addItem(name, fmt)
        self.format_combo.setCurrentIndex(list(FORMAT_FILTERS).index("jsonl"))
        form.addRow("Format", self.format_combo)
        self.path_edit = QLineEdit(str(Path(start_dir) / f"{project_name}.jsonl"))
        browse = QPushButton("Browse…")
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.predictions = QCheckBox("Every term, with the active model's prediction (not only labeled terms)")
        form.addRow("", self.predictions)
        hint = QLabel("JSONL and CSV add the probabilities; TSV and SemEval XML write the predicted label "
                      "as the polarity.")
        hint.setProperty("muted", True)
        hint.setWordWrap(True)
        form.addRow("", hint)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        outer = QVBoxLayout(self)
        outer.addLayout(form)
        outer.addWidget(buttons)
        self.format_combo.currentIndexChanged.connect(self._fix_extension)
        browse.clicked.connect(self._browse)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    def choice(self) -> tuple[str, str, bool]:
        return self.path_edit.text().strip(), self.format_combo.currentData(), self.predictions.isChecked()

    def _fix_extension(self) -> None:
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(Path(text).with_suffix(EXTENSIONS[self.format_combo.currentData()])))

    def _browse(self) -> None:
        fmt = self.format_combo.currentData()
        name, pat = FORMAT_FILTERS[fmt]
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), f"{name} ({pat})")
        if path:
            self.path_edit.setText(path)


class HelpDialog(QDialog):
    """Every shortcut, grouped; made from the action table so it never goes stale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(620, 640)
        rows = shortcut_rows()
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(("", "Keys", "What it does"))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setFocusPolicy(Qt.NoFocus)
        last = None
        for r, (group, keys, what) in enumerate(rows):
            items = (QTableWidgetItem(group if group != last else ""), QTableWidgetItem(keys), QTableWidgetItem(what))
            last = group
            for c, item in enumerate(items):
                self.table.setItem(r, c, item)
            font = items[1].font()
            font.setBold(True)
            items[1].setFont(font)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        intro = QLabel("Label a term with one key; every label is saved at once. "
                       "Pick terms with the mouse or with Tab and the arrow keys.")
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.addWidget(intro)
        outer.addWidget(self.table, 1)
        outer.addWidget(buttons)

    def keys_listed(self) -> list[str]:
        return [self.table.item(r, 1).text() for r in range(self.table.rowCount())]


def open_project_dialog(parent: QWidget, start_dir: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open project", start_dir,
                                          "Polarity Studio projects (*.db *.sqlite);;All files (*)")
    return path or None


def new_project_dialog(parent: QWidget, start_dir: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "New project", str(Path(start_dir) / "Untitled.db"),
                                          "Polarity Studio projects (*.db)")
    if not path:
        return None
    return path if Path(path).suffix else path + ".db"


def confirm(parent: QWidget, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text, QMessageBox.Yes | QMessageBox.No,
                                QMessageBox.No) == QMessageBox.Yes
