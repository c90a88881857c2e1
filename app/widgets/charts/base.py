"""The shared parts of the QPainter charts (QtCharts lives in PySide6-Addons, which the app does not ship).

Each chart is a card: a title, a plot area with tidy margins, muted axes and grid lines, and
an empty state. ``Chart`` does the shared parts; subclasses only place their marks.
``nice_ticks`` is pure so axis choices are tested without Qt.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.theme.style import UI


def nice_ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) covering ``[lo, hi]`` with at most about
    ``count`` ticks; ``integer`` keeps steps whole (counts of terms have no 2.5)."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + 1
    raw = (hi - lo) / max(count - 1, 1)
    if integer:
        raw = max(raw, 1.0)
    mag = 10 ** math.floor(math.log10(raw))
    steps = [m * mag for m in (1, 2, 2.5, 5, 10) if not (integer and (m * mag) % 1)]
    step = next(st for st in steps if st >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks, v = [], first
    while v < hi + step * 0.999:
        ticks.append(round(v, 10))
        v += step
    return ticks


def fmt_number(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


def fmt_pct(v: float, digits: int = 0) -> str:
    return f"{v * 100:.{digits}f} %"


def zoom_fraction(values: Sequence[float]) -> tuple[float, float]:
    """An accuracy axis zoomed on the data (80-85 % on a 0-100 axis is a flat line), kept in [0, 1]."""
    lo, hi = min(values), max(values)
    lo = max(0.0, math.floor((lo - 0.03) * 20) / 20)
    hi = min(1.0, math.ceil((hi + 0.03) * 20) / 20)
    return lo, max(hi, lo + 0.05)


def y_at(plot: QRectF, ticks: Sequence[float], value: float) -> float:
    """Pixel y of ``value`` on an axis spanning the first to the last tick."""
    return plot.bottom() - (value - ticks[0]) / (ticks[-1] - ticks[0]) * plot.height()


def top_rounded(r: QRectF, radius: float) -> QPainterPath:
    """A bar with rounded top corners and a square foot that sits flat on the baseline."""
    path = QPainterPath(r.bottomLeft())
    path.lineTo(r.left(), r.top() + radius)
    path.quadTo(r.topLeft(), QPointF(r.left() + radius, r.top()))
    path.lineTo(r.right() - radius, r.top())
    path.quadTo(r.topRight(), QPointF(r.right(), r.top() + radius))
    path.lineTo(r.bottomRight())
    path.closeSubpath()
    return path


class Chart(QWidget):
    """Card, title and empty state; subclasses implement ``_has_data`` and ``_paint_plot``."""

    PAD = 14.0

    def __init__(self, title: str, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title, self._empty = title, empty_text
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(240, 160)

    def set_title(self, title: str) -> None:
        self._title = title
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 240)

    def _has_data(self) -> bool:
        raise NotImplementedError

    def _paint_plot(self, p: QPainter, area: QRectF) -> None:
        raise NotImplementedError

    def small_font(self, scale: float = 0.88, bold: bool = False) -> QFont:
        f = QFont(self.font())
        f.setPointSizeF(self.font().pointSizeF() * scale)
        if bold:
            f.setWeight(QFont.DemiBold)
        return f

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.TextAntialiasing)
        card = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(UI.color("border"), 1))
        p.setBrush(UI.color("surface"))
        p.drawRoundedRect(card, 10, 10)
        title_font = self.small_font(1.08, bold=True)
        th = QFontMetricsF(title_font).height()
        p.setFont(title_font)
        p.setPen(UI.color("text"))
        p.drawText(QRectF(card.left() + self.PAD, card.top() + self.PAD - 4, card.width() - 2 * self.PAD, th),
                   Qt.AlignLeft | Qt.AlignVCenter, self._title)
        area = card.adjusted(self.PAD, self.PAD + th + 6, -self.PAD, -self.PAD + 2)
        if not self._has_data():
            p.setFont(self.small_font(0.95))
            p.setPen(UI.color("text_faint"))
            p.drawText(area, Qt.AlignCenter, self._empty)
            return
        self._paint_plot(p, area)

    # ---- shared drawing -----------------------------------------------------------------------
    def _y_axis(self, p: QPainter, plot: QRectF, ticks: list[float], label: Callable[[float], str],
                right: bool = False, grid: bool = True, color: QColor | None = None) -> None:
        """Tick labels on one side, optional grid lines across the plot."""
        p.setFont(self.small_font(0.8))
        fm = QFontMetricsF(p.font())
        for t in ticks:
            y = y_at(plot, ticks, t)
            if grid:
                p.setPen(QPen(UI.color("grid"), 1))
                p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(color or UI.color("text_muted"))
            text = label(t)
            box = QRectF(plot.right() + 6 if right else plot.left() - 6 - fm.horizontalAdvance(text),
                         y - fm.height() / 2, fm.horizontalAdvance(text), fm.height())
            p.drawText(box, Qt.AlignVCenter | (Qt.AlignLeft if right else Qt.AlignRight), text)

    def _axis_width(self, texts: Sequence[str]) -> float:
        fm = QFontMetricsF(self.small_font(0.8))
        return max(fm.horizontalAdvance(t) for t in texts) + 10

    def _axis_title(self, p: QPainter, rect: QRectF, text: str, vertical: bool = False,
                    color: QColor | None = None) -> None:
        p.setFont(self.small_font(0.8))
        p.setPen(color or UI.color("text_muted"))
        if not vertical:
            p.drawText(rect, Qt.AlignCenter, text)
            return
        p.save()  # rotated text reads bottom-to-top, the usual y-axis title direction
        p.translate(rect.center())
        p.rotate(-90)
        p.drawText(QRectF(-rect.height() / 2, -rect.width() / 2, rect.height(), rect.width()), Qt.AlignCenter, text)
        p.restore()

    def _baseline(self, p: QPainter, plot: QRectF) -> None:
        p.setPen(QPen(UI.color("border_strong"), 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
