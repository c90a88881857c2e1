"""Choosing files: import (with its format), export (format, file, predictions), new and open project."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget)

from app.services.raw_import_service import RAW

# format -> (name for people, patterns) in core.formats.FORMATS order
FORMAT_FILTERS: dict[str, tuple[str, str]] = {
    "tsv": ("Seed TSV: polarity, category, term, start:end, sentence", "*.tsv *.csv"),
    "semeval14": ("SemEval-2014 XML (aspectTerms)", "*.xml"),
    "semeval16": ("SemEval-2016 XML (Opinions)", "*.xml"),
    "jsonl": ("JSON Lines", "*.jsonl *.ndjson"),
    "csv": ("CSV with a header row", "*.csv"),
}
EXTENSIONS = {"tsv": ".tsv", "semeval14": ".xml", "semeval16": ".xml", "jsonl": ".jsonl", "csv": ".csv"}
# Import only (nothing is exported as raw text): texts without terms, read by core.formats.raw.
RAW_FILTER = ("Raw text: one text a line, or a table with a text column", "*.txt *.csv *.tsv *.jsonl *.ndjson *.xlsx")
ALL_SUPPORTED = "All supported files (*.tsv *.csv *.jsonl *.ndjson *.xml *.txt *.xlsx)"


def ask_import_file(parent: QWidget, start_dir: str) -> tuple[str, str | None] | None:
    """(path, format, ``RAW``, or None to detect it) or None when cancelled."""
    choices = {**FORMAT_FILTERS, RAW: RAW_FILTER}
    filters = [ALL_SUPPORTED] + [f"{name} ({pat})" for name, pat in choices.values()]
    path, chosen = QFileDialog.getOpenFileName(parent, "Import labeled terms or raw text", start_dir,
                                               ";;".join(filters))
    if not path:
        return None
    fmt = next((f for f, (name, pat) in choices.items() if chosen == f"{name} ({pat})"), None)
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
