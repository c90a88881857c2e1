"""The Overview tab: how the labels are spread, and where the active model goes wrong. Layout only."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.widgets.charts.stats_charts import ConfusionMatrixChart, LabelDistributionChart


class OverviewPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(10)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        outer.addWidget(self.summary)
        self.distribution = LabelDistributionChart()
        outer.addWidget(self.distribution, 1)
        self.confusion = ConfusionMatrixChart()
        self.confusion.set_title("Active model on its dev set")
        outer.addWidget(self.confusion, 1)

    def set_stats(self, stats: Any) -> None:
        self.distribution.set_counts(dict(stats.per_label))
        share = f"{stats.labeled / stats.terms * 100:.0f} %" if stats.terms else "0 %"
        self.summary.setText(f"<b>{stats.sentences}</b> sentences · <b>{stats.terms}</b> terms · "
                             f"<b>{stats.labeled}</b> labeled ({share})")

    def set_active_model(self, version: Any) -> None:
        matrix = (version.metrics or {}).get("confusion") if version is not None else None
        self.confusion.set_matrix(matrix if matrix else [])
        name = f"v{version.id}" if version is not None else "no model"
        self.confusion.set_title(f"Active model ({name}) on its dev set")
