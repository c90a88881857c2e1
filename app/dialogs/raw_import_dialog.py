"""The "Import raw text" dialog: a preview of the file's first rows, the text column, an optional
document id column, and whether long texts are split into sentences. Layout only: the controller
reads the preview off the GUI thread and hands it in with ``set_preview``; ``choice()`` is what
the person picked. A .txt file has no columns to pick: its pickers are hidden.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from app.services.raw_import_service import RawChoice, RawPreview
from app.theme.style import UI

NO_ID = "(none: number the texts by their line)"
FORMAT_NAMES = {"txt": "text file", "csv": "CSV", "tsv": "TSV", "jsonl": "JSON Lines", "xlsx": "Excel workbook"}
CELL_CHARS = 160  # a preview cell shows the start of a long text; its tooltip holds more


class RawImportDialog(QDialog):
    def __init__(self, parent: QWidget | None, path: str) -> None:
        super().__init__(parent)
        self.setObjectName("rawImportDialog")
        self.setWindowTitle("Import raw text")
        self.setMinimumSize(760, 520)
        self._path = path
        self._preview: RawPreview | None = None
        self.title = QLabel(f"<b>{Path(path).name}</b>")
        self.title.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.title.setToolTip(path)
        intro = QLabel("This file has no marked terms: each text becomes sentences to label. "
                       "Terms can be suggested after the import (Ctrl+Shift+T).")
        intro.setWordWrap(True)
        intro.setProperty("muted", True)
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("rawPreview")
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.ElideRight)
        # Row numbers would read as the file's line numbers, which documents are named by: left out.
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.text_combo = QComboBox()
        self.text_combo.setPlaceholderText("Choose the column that holds the text")
        self.id_combo = QComboBox()
        self.split_box = QCheckBox("Split long texts into sentences")
        self.split_box.setChecked(True)
        self.split_box.setToolTip("Each sentence keeps its document and its position in it, so an export can be "
                                  "grouped back by document")
        form = QFormLayout()
        form.addRow("Text column", self.text_combo)
        form.addRow("Document id", self.id_combo)
        form.addRow("", self.split_box)
        self._form = form
        self.summary = QLabel("Reading the first rows…")
        self.summary.setObjectName("rawSummary")
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 3)  # the table keeps its height
        self.summary.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.import_button: QPushButton = buttons.addButton("Import", QDialogButtonBox.AcceptRole)
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        outer = QVBoxLayout(self)
        outer.addWidget(self.title)
        outer.addWidget(intro)
        outer.addWidget(self.table, 1)
        outer.addLayout(form)
        outer.addWidget(self.summary)
        outer.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.text_combo.currentIndexChanged.connect(self._update)
        self.id_combo.currentIndexChanged.connect(self._update)
        self.split_box.toggled.connect(self._update)

    @property
    def path(self) -> str:
        return self._path

    # ---- filled by the controller --------------------------------------------------------------
    def set_preview(self, result: RawPreview) -> None:
        self._preview = result
        p = result.preview
        kind = FORMAT_NAMES.get(p.format, p.format)
        self.title.setText(f"<b>{Path(self._path).name}</b> — {kind}, {self._rows_text(result)}")
        columns = p.columns
        self.table.setColumnCount(len(columns))
        self.table.setRowCount(len(p.rows))
        for r, cells in enumerate(p.rows):
            for c, cell in enumerate(cells):
                item = QTableWidgetItem(cell[:CELL_CHARS].replace("\n", " "))
                item.setToolTip(cell[:1000])
                self.table.setItem(r, c, item)
        for combo in (self.text_combo, self.id_combo):
            combo.blockSignals(True)
            combo.clear()
        self.text_combo.addItems(columns)
        self.id_combo.addItem(NO_ID, None)
        for name in columns:
            self.id_combo.addItem(name, name)
        if p.text_column is not None:
            self.text_combo.setCurrentIndex(columns.index(p.text_column))
        else:
            self.text_combo.setCurrentIndex(-1)  # nothing named like a text: the person chooses
        if p.id_column is not None:
            self.id_combo.setCurrentIndex(self.id_combo.findData(p.id_column))
        for combo in (self.text_combo, self.id_combo):
            combo.blockSignals(False)
        table = p.format != "txt"  # one text a line: nothing to choose
        for row in (0, 1):
            self._form.setRowVisible(row, table)
        self._update()

    def choice(self) -> RawChoice:
        txt = self._preview is not None and self._preview.preview.format == "txt"
        text = None if txt or self.text_combo.currentIndex() < 0 else self.text_combo.currentText()
        return RawChoice(text, None if txt else self.id_combo.currentData(), self.split_box.isChecked())

    # ---- what it will do -----------------------------------------------------------------------
    @staticmethod
    def _rows_text(result: RawPreview) -> str:
        shown = len(result.preview.rows)
        if result.rows is None:
            return f"the first {shown} rows shown"
        count = f"about {result.rows:,}" if result.about else f"{result.rows:,}"
        noun = "text" if result.rows == 1 and not result.about else "texts"
        return f"{count} {noun}" + (f", the first {shown} shown" if shown < result.rows else "")

    def _update(self) -> None:
        if self._preview is None:
            return
        choice = self.choice()
        txt = self._preview.preview.format == "txt"
        self._mark_columns(choice)
        ready = txt or choice.text_column is not None
        self.import_button.setEnabled(ready)
        if not ready:
            self.summary.setText("No column is named like a text (text, review, comment, …): pick the one "
                                 "that holds it above.")
            return
        source = "each line" if txt else f"the column “{choice.text_column}”"
        what = ("is split into sentences; each sentence keeps its document and its position in it"
                if choice.split else "is kept whole, one sentence per text")
        doc = (f"Documents are named by “{choice.id_column}” (each value once)." if choice.id_column
               else "Documents are numbered by their line in the file.")
        self.summary.setText(f"The text in {source} {what}. {doc} No terms are added; "
                             "importing the same file again adds nothing.")

    def _mark_columns(self, choice: RawChoice) -> None:
        """The text column in bold with a tint, the id column tinted: the preview shows what is taken."""
        columns = self._preview.preview.columns if self._preview is not None else []
        header = self.table.horizontalHeader()
        tint = QBrush(UI.color("accent_tint"))
        if self._preview is not None and self._preview.preview.format == "txt":
            self.table.setHorizontalHeaderLabels(["Text (one a line)"])
            header.setSectionResizeMode(0, QHeaderView.Stretch)
            return
        for c, name in enumerate(columns):
            role = ("text" if name == choice.text_column else "document id" if name == choice.id_column else "")
            label = QTableWidgetItem(f"{name} · {role}" if role else name)
            font = QFont(label.font())
            font.setBold(role == "text")
            label.setFont(font)
            self.table.setHorizontalHeaderItem(c, label)
            for r in range(self.table.rowCount()):
                item = self.table.item(r, c)
                if item is not None:
                    item.setBackground(tint if role else QBrush())
            header.setSectionResizeMode(c, QHeaderView.Stretch if role == "text" else QHeaderView.ResizeToContents)
