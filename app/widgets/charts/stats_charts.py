"""Small QPainter charts: label counts, the confusion matrix, model versions; the training curve
lives in ``app.widgets.charts.training_chart`` and the shared card, axes and ticks in ``app.widgets.charts.base``.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from app.theme.style import UI, label_colors
from app.widgets.charts.base import Chart, fmt_number, fmt_pct, nice_ticks, top_rounded, y_at, zoom_fraction
from app.widgets.charts.training_chart import TrainingCurveChart
from core.domain import LABEL_NAMES

# Panels and tests import every chart and nice_ticks from here.
__all__ = ["ConfusionMatrixChart", "LabelDistributionChart", "TrainingCurveChart", "VersionsChart", "nice_ticks"]


class LabelDistributionChart(Chart):
    """How many terms carry each label: bars in label colours with counts and shares."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Labels", "No labeled terms yet", parent)
        self._counts: dict[str, int] = {}

    def set_counts(self, counts: dict[str, int]) -> None:
        # Labels always in the project's order, zero bars included; extra keys follow, sorted.
        ordered = {name: int(counts.get(name, 0)) for name in LABEL_NAMES}
        ordered.update({k: int(v) for k, v in sorted(counts.items()) if k not in ordered})
        self._counts = ordered
        self.update()

    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def _has_data(self) -> bool:
        return sum(self._counts.values()) > 0

    def _paint_plot(self, p: QPainter, area: QRectF) -> None:
        total = sum(self._counts.values())
        ticks = nice_ticks(0, max(self._counts.values()) * 1.1, 6, integer=True)
        fm_small = QFontMetricsF(self.small_font(0.8))
        plot = area.adjusted(self._axis_width([fmt_number(t) for t in ticks]) + fm_small.height(), 8, -4,
                             -2.2 * fm_small.height() - 8)
        self._axis_title(p, QRectF(area.left(), plot.top(), fm_small.height(), plot.height()), "terms", True)
        self._y_axis(p, plot, ticks, fmt_number)
        self._baseline(p, plot)
        slot = plot.width() / len(self._counts)
        bar_w = min(slot * 0.56, 76.0)
        for i, (name, n) in enumerate(self._counts.items()):
            cx = plot.left() + slot * (i + 0.5)
            h = n / ticks[-1] * plot.height()
            colors = label_colors(name)
            bar = QRectF(cx - bar_w / 2, plot.bottom() - h, bar_w, h)
            if h > 0:
                p.fillPath(top_rounded(bar, min(5.0, h, bar_w / 2)), colors.fill)
            p.setFont(self.small_font(0.88, bold=True))
            p.setPen(UI.color("text"))
            p.drawText(QRectF(cx - slot / 2, bar.top() - 20, slot, 18), Qt.AlignHCenter | Qt.AlignBottom, str(n))
            p.setFont(self.small_font(0.82, bold=True))
            p.setPen(colors.text)
            below = QRectF(cx - slot / 2, plot.bottom() + 4, slot, fm_small.height())
            p.drawText(below, Qt.AlignCenter, fm_small.elidedText(name.capitalize(), Qt.ElideRight, slot - 4))
            p.setFont(self.small_font(0.78))
            p.setPen(UI.color("text_faint"))
            p.drawText(below.translated(0, fm_small.height()), Qt.AlignCenter, fmt_pct(n / total))


class ConfusionMatrixChart(Chart):
    """Rows are the gold labels, columns the predicted ones; colour is the row share (recall),
    so a rare class's errors are as visible as a frequent one's."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Confusion matrix", "No evaluation yet", parent)
        self._matrix: list[list[int]] = []
        self._labels: list[str] = list(LABEL_NAMES)

    def set_matrix(self, matrix: list[list[int]], labels: Sequence[str] = LABEL_NAMES) -> None:
        if matrix and any(len(row) != len(matrix) for row in matrix):
            raise ValueError("confusion matrix must be square")
        if matrix and len(labels) != len(matrix):
            raise ValueError(f"{len(labels)} labels for a {len(matrix)}x{len(matrix)} matrix")
        self._matrix = [[int(v) for v in row] for row in matrix]
        self._labels = list(labels)
        self.update()

    def _has_data(self) -> bool:
        return bool(self._matrix) and sum(map(sum, self._matrix)) > 0

    def _paint_plot(self, p: QPainter, area: QRectF) -> None:
        n = len(self._matrix)
        names = [s.capitalize() for s in self._labels]
        fm = QFontMetricsF(self.small_font(0.8))
        short = [s[:3] for s in names]  # "Neg Neu Pos" under narrow columns
        title_h = fm.height() + 2
        left = title_h + self._axis_width(names) + 2
        bottom = fm.height() + 6 + title_h
        side = max(min(area.width() - left - 4, area.height() - bottom), 30.0)
        cell = side / n
        x0 = area.left() + (area.width() - left - side) / 2  # centre labels + grid as one block
        grid = QRectF(x0 + left, area.top() + (area.height() - bottom - side) / 2, side, side)
        accent = UI.color("accent")
        for r, row in enumerate(self._matrix):
            row_sum = sum(row) or 1
            for c, v in enumerate(row):
                share = v / row_sum
                rect = QRectF(grid.left() + c * cell, grid.top() + r * cell, cell, cell).adjusted(1.5, 1.5, -1.5, -1.5)
                color = QColor(accent)
                color.setAlphaF(0.06 + 0.88 * share)
                p.setPen(Qt.NoPen)
                p.setBrush(color)
                p.drawRoundedRect(rect, 4, 4)
                dark = share > 0.5
                p.setPen(QColor("white") if dark else UI.color("text"))
                p.setFont(self.small_font(1.0 if cell > 44 else 0.85, bold=True))
                show_share = cell > 52
                num_rect = rect.adjusted(0, 0, 0, -rect.height() * 0.22) if show_share else rect
                p.drawText(num_rect, Qt.AlignCenter, str(v))
                if show_share:
                    p.setFont(self.small_font(0.72))
                    p.setPen(QColor(255, 255, 255, 210) if dark else UI.color("text_muted"))
                    p.drawText(rect.adjusted(0, rect.height() * 0.42, 0, 0), Qt.AlignCenter, fmt_pct(share))
        p.setFont(self.small_font(0.8))
        for i, name in enumerate(names):
            p.setPen(label_colors(self._labels[i]).text)
            p.drawText(QRectF(grid.left() - left + title_h, grid.top() + i * cell, left - title_h - 6, cell),
                       Qt.AlignRight | Qt.AlignVCenter, name)
            col = name if max(fm.horizontalAdvance(x) for x in names) + 6 <= cell else short[i]
            p.drawText(QRectF(grid.left() + i * cell, grid.bottom() + 3, cell, fm.height()), Qt.AlignCenter,
                       fm.elidedText(col, Qt.ElideRight, cell))
        self._axis_title(p, QRectF(grid.left(), grid.bottom() + fm.height() + 5, side, title_h), "Predicted")
        self._axis_title(p, QRectF(grid.left() - left, grid.top(), title_h, side), "Gold", vertical=True)


class VersionsChart(Chart):
    """Dev accuracy of each model version, oldest to newest; the active one is emphasised."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Model versions", "No trained versions yet", parent)
        self._versions: list[tuple[str, float]] = []
        self._active = -1

    def set_versions(self, versions: list[tuple[str, float]], active: int | None = None) -> None:
        """``versions`` oldest first; ``active`` is the index of the version in use (default:
        the newest; after a rollback it is an older one)."""
        # Accuracy is a fraction; values above 1 are taken as percentages so either works.
        self._versions = [(str(name), float(acc) / 100 if float(acc) > 1 else float(acc)) for name, acc in versions]
        self._active = len(self._versions) - 1 if active is None else active
        self.update()

    def _has_data(self) -> bool:
        return bool(self._versions)

    def _paint_plot(self, p: QPainter, area: QRectF) -> None:
        ticks = nice_ticks(*zoom_fraction([a for _, a in self._versions]), 4)
        fm = QFontMetricsF(self.small_font(0.8))
        plot = area.adjusted(self._axis_width([fmt_pct(t) for t in ticks]) + fm.height(), 18, -6, -2 * fm.height() - 8)
        self._y_axis(p, plot, ticks, fmt_pct)
        self._baseline(p, plot)
        slot = plot.width() / len(self._versions)
        pts = [QPointF(plot.left() + slot * (i + 0.5), y_at(plot, ticks, a)) for i, (_, a) in enumerate(self._versions)]
        accent = UI.color("accent")
        if len(pts) > 1:
            fill = QPainterPath(QPointF(pts[0].x(), plot.bottom()))  # a soft area under the line
            for q in pts:
                fill.lineTo(q)
            fill.lineTo(QPointF(pts[-1].x(), plot.bottom()))
            soft = QColor(accent)
            soft.setAlpha(28)
            p.fillPath(fill, soft)
            p.setPen(QPen(accent, 2, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
            p.drawPolyline(pts)
        show_values = slot >= fm.horizontalAdvance("88.8 %") + 4
        for i, ((name, acc), q) in enumerate(zip(self._versions, pts)):
            active = i == self._active
            # the active version: a filled dot with a white ring; the others hollow
            p.setPen(QPen(UI.color("surface") if active else accent, 2))
            p.setBrush(accent if active else UI.color("surface"))
            p.drawEllipse(q, 5.5 if active else 4.0, 5.5 if active else 4.0)
            p.setFont(self.small_font(0.8, bold=active))
            p.setPen(UI.color("text") if active else UI.color("text_muted"))
            if show_values or active:
                p.drawText(QRectF(q.x() - 40, q.y() - 24, 80, 16), Qt.AlignCenter, fmt_pct(acc, 1))
            p.drawText(QRectF(q.x() - slot / 2, plot.bottom() + 4, slot, fm.height()), Qt.AlignCenter,
                       fm.elidedText(name, Qt.ElideMiddle, slot - 4))
        self._axis_title(p, QRectF(plot.left(), plot.bottom() + fm.height() + 6, plot.width(), fm.height()), "version")
        self._axis_title(p, QRectF(area.left(), plot.top(), fm.height(), plot.height()), "dev accuracy", True)
