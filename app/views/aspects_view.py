"""The Aspects tab: what each aspect is said to be, as a diverging bar chart. Layout only.

Controls on top (how many aspects, accepted terms only, export), the chart below in a scroll
area (a long top N scrolls instead of squashing its rows), and one line that says what the
numbers are. It says what the person did through signals; ``AspectsController`` fills it.
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSpinBox,
                               QVBoxLayout, QWidget)

from app.widgets.charts.aspect_chart import AspectChart

DEFAULT_TOP = 15
MAX_TOP = 200


class AspectsView(QWidget):
    optionsChanged = Signal()         # the top N or "accepted terms only" changed
    exportClicked = Signal()
    aspectClicked = Signal(object)    # the AspectSummary row clicked in the chart
    shown = Signal()                  # the tab came to the front (a stale summary is computed then)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(8)
        outer.addLayout(self._controls())
        self.chart = AspectChart()
        self.chart.setAccessibleName("Aspect summary chart")
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setWidget(self.chart)
        outer.addWidget(self.scroll, 1)
        self.note = QLabel("")
        self.note.setProperty("muted", True)
        self.note.setWordWrap(True)
        outer.addWidget(self.note)
        self._connect_callbacks()

    def _controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        self.top_spin = QSpinBox()
        self.top_spin.setPrefix("Top ")  # a prefix, not a label: the row must fit a narrow pane
        self.top_spin.setRange(1, MAX_TOP)
        self.top_spin.setValue(DEFAULT_TOP)
        self.top_spin.setMaximumWidth(92)
        self.top_spin.setAccessibleName("Top aspects")
        self.top_spin.setToolTip("How many aspects to show, the most mentioned first")
        self.accepted_check = QCheckBox("Accepted terms only")
        self.accepted_check.setToolTip("Leave out the open suggestions: count only the terms in the project")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Write every aspect's counts, shares and an example to a CSV file")
        row.addWidget(self.top_spin)
        row.addSpacing(4)
        row.addWidget(self.accepted_check)
        row.addStretch(1)
        row.addWidget(self.export_button)
        return row

    def _connect_callbacks(self) -> None:
        self.top_spin.valueChanged.connect(self.optionsChanged)
        self.accepted_check.toggled.connect(self.optionsChanged)
        self.export_button.clicked.connect(self.exportClicked)
        self.chart.aspectClicked.connect(self.aspectClicked)

    # ---- what the controller reads and sets ------------------------------------------------------
    def top(self) -> int:
        return self.top_spin.value()

    def accepted_only(self) -> bool:
        return self.accepted_check.isChecked()

    def set_rows(self, rows: Sequence[Any], accepted_only: bool) -> None:
        self.chart.set_rows(rows)
        self.chart.set_title(self.chart_title())
        n = len(rows)
        if not rows:
            self.note.setText("")
            return
        mentions = sum(r.mentions for r in rows)
        labeled = sum(r.labeled for r in rows)
        share = labeled / mentions * 100 if mentions else 0.0
        self.note.setText(f"{mentions} mentions · {share:.0f} % labeled by people · net = % positive − % negative"
                          " · click a bar for its sentences")
        self.note.setToolTip("Open suggestions left out" if accepted_only else
                             "Terms and open suggestions: labels where people gave one, the model's elsewhere")

    def set_busy(self, busy: bool) -> None:
        self.chart.set_title("Updating…" if busy and not self.chart.rows() else self.chart_title())

    def chart_title(self) -> str:
        n = len(self.chart.rows())
        return f"Top {n} aspect{'s' if n != 1 else ''} by mentions" if n else "Aspects"

    def set_enabled(self, enabled: bool) -> None:
        for widget in (self.top_spin, self.accepted_check, self.export_button):
            widget.setEnabled(enabled)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.shown.emit()
