"""The keyboard shortcuts dialog, made from the action table so it never goes stale."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.theme.actions import shortcut_rows


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
