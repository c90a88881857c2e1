"""The reliability diagram: per confidence bin, how often the model was right against how sure
it said it was. Bars on the diagonal mean "90 %" is right nine times in ten; bars below it are
overconfidence. Takes the bins of ``core.ml.calibration.reliability`` (from the dev predictions).
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QWidget

from app.theme.style import UI
from app.widgets.charts.base import Chart, fmt_pct, y_at

TICKS = [0.0, 0.25, 0.5, 0.75, 1.0]


class ReliabilityChart(Chart):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Reliability", "No dev predictions to check the confidence on", parent)
        self._bins: list[dict[str, float]] = []
        self._ece: float | None = None

    def set_bins(self, bins: Sequence[dict[str, Any]], ece: float | None) -> None:
        """``bins``: dicts with lo, hi, n, confidence, accuracy; ``ece`` shown in the title."""
        self._bins = [{k: float(b[k]) for k in ("lo", "hi", "n", "confidence", "accuracy")} for b in bins]
        self._ece = ece
        # The ECE first: in a narrow panel the end of the title is what gets clipped.
        self.set_title((f"ECE {ece:.3f} · reliability" if isinstance(ece, (int, float)) else "Reliability"))

    def bins(self) -> list[dict[str, float]]:
        return list(self._bins)

    def _has_data(self) -> bool:
        return any(b["n"] > 0 for b in self._bins)

    def _paint_plot(self, p: QPainter, area: QRectF) -> None:
        fm = QFontMetricsF(self.small_font(0.8))
        title_h = fm.height() + 2
        left = title_h + self._axis_width([fmt_pct(t) for t in TICKS])
        bottom = fm.height() + 6 + title_h
        side = max(min(area.width() - left - 4, area.height() - bottom), 30.0)
        x0 = area.left() + (area.width() - left - side) / 2
        plot = QRectF(x0 + left, area.top() + (area.height() - bottom - side) / 2, side, side)
        self._y_axis(p, plot, TICKS, fmt_pct)
        self._paint_bars(p, plot)
        # The diagonal: where a calibrated model's bars end.
        p.setPen(QPen(UI.color("text_faint"), 1, Qt.DashLine))
        p.drawLine(plot.bottomLeft(), plot.topRight())
        self._baseline(p, plot)
        p.setFont(self.small_font(0.8))
        p.setPen(UI.color("text_muted"))
        for t in (0.0, 0.5, 1.0):
            x = plot.left() + t * plot.width()
            p.drawText(QRectF(x - 20, plot.bottom() + 3, 40, fm.height()), Qt.AlignCenter, fmt_pct(t))
        self._axis_title(p, QRectF(plot.left(), plot.bottom() + fm.height() + 5, side, title_h),
                         "Confidence")
        self._axis_title(p, QRectF(plot.left() - left, plot.top(), title_h, side), "Right", vertical=True)

    def _paint_bars(self, p: QPainter, plot: QRectF) -> None:
        """A bar per non-empty bin, its height the accuracy; a thin mark at its mean confidence.
        Bins with few items are fainter: their accuracy means little."""
        accent, warn = UI.color("accent"), UI.color("text_muted")
        most = max((b["n"] for b in self._bins), default=1.0) or 1.0
        for b in self._bins:
            if b["n"] <= 0:
                continue
            x1 = plot.left() + b["lo"] * plot.width() + 1.5
            x2 = plot.left() + b["hi"] * plot.width() - 1.5
            top = y_at(plot, TICKS, b["accuracy"])
            color = QColor(accent)
            color.setAlphaF(0.35 + 0.55 * min(1.0, b["n"] / most))
            p.setPen(Qt.NoPen)
            p.setBrush(color)
            p.drawRect(QRectF(x1, top, x2 - x1, plot.bottom() - top))
            conf_y = y_at(plot, TICKS, b["confidence"])
            p.setPen(QPen(warn, 2))
            p.drawLine(QPointF(x1, conf_y), QPointF(x2, conf_y))
