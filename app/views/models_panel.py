"""The Models tab: every version with its metrics, accuracy across versions, activate / delete.
Layout only; ``set_versions`` takes the store's ``ModelVersionRecord``s.
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.widgets.charts.stats_charts import VersionsChart

COLUMNS = ("Version", "Engine", "Labels", "Accuracy", "Macro-F1")


def version_name(v: Any) -> str:
    return f"v{v.id}"


def _pct(x: Any) -> str:
    return f"{float(x) * 100:.1f} %" if isinstance(x, (int, float)) else "—"


class ModelsPanel(QWidget):
    activateClicked = Signal(int)
    deleteClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(10)
        self.chart = VersionsChart()
        self.chart.setMinimumHeight(180)
        outer.addWidget(self.chart, 2)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        outer.addWidget(self.table, 3)
        row = QHBoxLayout()
        self.activate_button = QPushButton("Use this version")
        self.activate_button.setProperty("primary", True)
        self.activate_button.setToolTip("Make the selected version the one that predicts (roll back or forward)")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Remove the selected version and its folder (not the active one)")
        row.addWidget(self.activate_button, 1)
        row.addWidget(self.delete_button)
        outer.addLayout(row)
        self.note = QLabel("")
        self.note.setProperty("muted", True)
        self.note.setWordWrap(True)
        outer.addWidget(self.note)
        self._ids: list[int] = []
        self._active: int | None = None
        self.table.itemSelectionChanged.connect(self._sync_buttons)
        self.table.itemDoubleClicked.connect(self._activate_selected)
        self.activate_button.clicked.connect(self._activate_selected)
        self.delete_button.clicked.connect(self._delete_selected)
        self._sync_buttons()

    def set_versions(self, versions: Sequence[Any]) -> None:
        """``versions`` oldest first (``Project.models()``); the table lists the newest first."""
        selected = self.selected_id()
        self._ids = [v.id for v in reversed(versions)]
        self._active = next((v.id for v in versions if v.active), None)
        self.table.setRowCount(len(versions))
        bold = QFont(self.table.font())
        bold.setWeight(QFont.DemiBold)
        for r, v in enumerate(reversed(versions)):
            m = v.metrics or {}
            note = "starter" if "starter" in str(m.get("note", "")) else v.engine
            cells = (("● " if v.active else "   ") + version_name(v), note, str(v.n_labels),
                     _pct(m.get("accuracy")), _pct(m.get("macro_f1")))
            tip = f"{version_name(v)}{' (in use)' if v.active else ''}: {v.engine}, made {v.created_at:%Y-%m-%d %H:%M}, folder {v.folder}"
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if c in (2, 3, 4):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if v.active:
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        chart = [(version_name(v), float(v.metrics["accuracy"])) for v in versions
                 if isinstance((v.metrics or {}).get("accuracy"), (int, float))]
        scored = [v for v in versions if isinstance((v.metrics or {}).get("accuracy"), (int, float))]
        active_index = next((i for i, v in enumerate(scored) if v.active), None)
        self.chart.set_versions(chart, active_index if active_index is not None else -1)
        self.note.setText("Each version is scored on its own held-out labels." if versions else
                          "No model yet: label at least 10 terms, then Retrain (Ctrl+R).")
        if selected in self._ids:
            self.table.selectRow(self._ids.index(selected))
        self._sync_buttons()

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self._ids[rows[0].row()] if rows and rows[0].row() < len(self._ids) else None

    def select_version(self, version_id: int) -> None:
        if version_id in self._ids:
            self.table.selectRow(self._ids.index(version_id))

    def _sync_buttons(self) -> None:
        vid = self.selected_id()
        self.activate_button.setEnabled(vid is not None and vid != self._active)
        self.delete_button.setEnabled(vid is not None and vid != self._active)

    def _activate_selected(self) -> None:
        vid = self.selected_id()
        if vid is not None and vid != self._active:
            self.activateClicked.emit(vid)

    def _delete_selected(self) -> None:
        vid = self.selected_id()
        if vid is not None and vid != self._active:
            self.deleteClicked.emit(vid)
