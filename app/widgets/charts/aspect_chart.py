"""What each aspect is said to be: one diverging stacked bar per aspect, painted with QPainter.

The standard diverging layout (as Likert charts draw it): neutral sits centred on the zero
line, negative grows to the left of it and positive to the right, so the balance of every
aspect reads at a glance and the bar's length is how much it is talked about. Within each
polarity the part people labeled is solid, nearest the centre; what the model said
(predictions of unlabeled terms and open suggestions) is lighter and hatched, outside it.
The right column gives the mentions and the net score (positive minus negative, of the
mentions with a polarity). Hover shows the counts and an example; a click says which aspect.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QFontMetricsF, QHelpEvent, QKeyEvent, QMouseEvent, QPainter, QPainterPath,
                           QPen)
from PySide6.QtWidgets import QToolTip, QWidget

from app.theme.style import LABEL_COLORS, UI
from app.widgets.charts.base import Chart, fmt_number, nice_ticks
from core.domain import Polarity

POLARITIES = (Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE)
MODEL_SOURCES = ("predicted", "suggested")
ROW_MIN, ROW_MAX = 18.0, 32.0  # px per aspect: readable labels, bars that still look like bars


@dataclass(frozen=True)
class Segment:
    polarity: Polarity
    human: bool        # labeled by a person (solid) or said by the model (hatched)
    count: int
    lo: float          # extent on the count axis, 0 = the centre line
    hi: float


def split_counts(row: Any) -> dict[tuple[Polarity, bool], int]:
    """(polarity, labeled by a person?) -> mentions, from an ``AspectSummary``."""
    src = row.by_source
    return {(p, human): (src["labeled"][p.value] if human else sum(src[s][p.value] for s in MODEL_SOURCES))
            for p in POLARITIES for human in (True, False)}


def segments(row: Any) -> list[Segment]:
    """The bar's pieces, left to right: negative (model outside, labeled inside), neutral centred
    (labeled in its middle), positive (labeled inside, model outside). Empty pieces left out."""
    c = split_counts(row)
    neu_h, neu_m = c[(Polarity.NEUTRAL, True)], c[(Polarity.NEUTRAL, False)]
    half = (neu_h + neu_m) / 2
    neg_h, neg_m = c[(Polarity.NEGATIVE, True)], c[(Polarity.NEGATIVE, False)]
    pos_h, pos_m = c[(Polarity.POSITIVE, True)], c[(Polarity.POSITIVE, False)]
    pieces = [
        Segment(Polarity.NEGATIVE, False, neg_m, -half - neg_h - neg_m, -half - neg_h),
        Segment(Polarity.NEGATIVE, True, neg_h, -half - neg_h, -half),
        Segment(Polarity.NEUTRAL, False, neu_m - neu_m // 2, -half, -neu_h / 2),
        Segment(Polarity.NEUTRAL, True, neu_h, -neu_h / 2, neu_h / 2),
        Segment(Polarity.NEUTRAL, False, neu_m // 2, neu_h / 2, half),
        Segment(Polarity.POSITIVE, True, pos_h, half, half + pos_h),
        Segment(Polarity.POSITIVE, False, pos_m, half + pos_h, half + pos_h + pos_m),
    ]
    return [s for s in pieces if s.hi > s.lo]


def net_score(row: Any) -> float | None:
    """(positive - negative) / mentions with a polarity, in [-1, 1]; None when none has one."""
    rated = row.negative + row.neutral + row.positive
    return (row.positive - row.negative) / rated if rated else None


def fmt_net(net: float | None) -> str:
    return "–" if net is None else f"{net * 100:+.0f}"


def tooltip_html(row: Any) -> str:
    """Counts per polarity (labeled / the model's apart), where the mentions come from, an example.
    Tooltips are dark: polarity names use the light ``border`` shade of their colour."""
    c = split_counts(row)
    faint = UI.text_faint
    cells = "".join(
        f"<tr><td style='color:{LABEL_COLORS[p].border.name()}'>{p.value}</td>"
        f"<td align='right'>&nbsp;<b>{getattr(row, p.value)}</b>&nbsp;</td>"
        f"<td style='color:{faint}'>{c[(p, True)]} labeled · {c[(p, False)]} by the model</td></tr>"
        for p in POLARITIES)
    parts = [f"{row.labeled} labeled", f"{row.predicted} predicted", f"{row.suggested} suggested"]
    if row.unknown:
        parts.append(f"{row.unknown} without a polarity")
    lines = [f"<b>{html.escape(row.term)}</b> — {row.mentions} mention{'s' if row.mentions != 1 else ''}"
             f" &nbsp;<span style='color:{faint}'>net {fmt_net(net_score(row))}</span>",
             f"<table cellspacing='0' cellpadding='1'>{cells}</table>",
             f"<span style='color:{faint}'>{' · '.join(parts)}</span>"]
    if len(row.forms) > 1:
        lines.append(f"<span style='color:{faint}'>as " + ", ".join(html.escape(f) for f in row.forms[:6]) + "</span>")
    if row.examples:
        example = row.examples[0] if len(row.examples[0]) <= 180 else row.examples[0][:177] + "…"
        lines.append(f"<i>“{html.escape(example)}”</i>")
    lines.append(f"<span style='color:{faint}'>Click to see its sentences</span>")
    return lines[0] + lines[1] + "<br>".join(lines[2:])  # the table is a block of its own


class AspectChart(Chart):
    aspectClicked = Signal(object)  # the AspectSummary row clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Aspects", "No aspects yet: mark terms, or let the extractor suggest some", parent)
        self._rows: list[Any] = []
        self._hover = -1
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)  # ↑ / ↓ pick an aspect, Enter shows its sentences

    # ---- data ----------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Any]) -> None:
        self._rows = list(rows)
        self._hover = -1
        self.setMinimumHeight(int(self._chrome_height() + ROW_MIN * max(len(self._rows), 4)))
        self.updateGeometry()
        self.update()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def terms(self) -> list[str]:
        return [r.term for r in self._rows]

    def _has_data(self) -> bool:
        return bool(self._rows)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(380, int(self._chrome_height() + 26 * max(len(self._rows), 4)))

    # ---- geometry (shared by painting and hit testing) ------------------------------------------
    def _fm(self, scale: float = 0.85, bold: bool = False) -> QFontMetricsF:
        return QFontMetricsF(self.small_font(scale, bold))

    def _chrome_height(self) -> float:
        """Title, legend and axis: everything but the rows."""
        return 2 * self.PAD + self._fm(1.08, True).height() + 6 + self._legend_h() + self._axis_h()

    def _legend_h(self, width: float | None = None) -> float:
        lines = 2 if width is None else self._legend_lines(width)
        return lines * (self._fm(0.8).height() + 4) + 8

    def _axis_h(self) -> float:
        return 2 * self._fm(0.8).height() + 10

    def _area(self) -> QRectF:
        card = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        th = self._fm(1.08, True).height()
        return card.adjusted(self.PAD, self.PAD + th + 6, -self.PAD, -self.PAD + 2)

    def _columns(self, area: QRectF) -> tuple[float, float, float]:
        """(label column width, right column width, row height)."""
        fm = self._fm(0.88)
        label_w = min(max(fm.horizontalAdvance(r.term) for r in self._rows) + 10, area.width() * 0.32, 170.0)
        right_w = self._numbers_width()
        rows_h = area.height() - self._legend_h(area.width()) - self._axis_h()
        return max(label_w, 60.0), right_w, max(ROW_MIN, min(ROW_MAX, rows_h / len(self._rows)))

    def _plot(self, area: QRectF) -> tuple[QRectF, float]:
        """The bars' rectangle (rows stacked from its top) and the row height."""
        label_w, right_w, row_h = self._columns(area)
        top = area.top() + self._legend_h(area.width())
        return QRectF(area.left() + label_w, top, area.width() - label_w - right_w, row_h * len(self._rows)), row_h

    def _scale(self) -> tuple[float, float, float]:
        """(left extent, right extent, tick step) in mentions: both sides whole steps, asymmetric
        when the aspects lean one way, so no half of the plot is wasted."""
        spans = [segments(r) for r in self._rows]
        left = max((-s[0].lo for s in spans if s), default=0.0)
        right = max((s[-1].hi for s in spans if s), default=0.0)
        ticks = nice_ticks(0, max(left, right, 1.0), 4, integer=True)
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        whole = lambda v: max(step, step * -(-v // step))  # noqa: E731 - rounds up to a step
        return whole(left), whole(right), step

    def _x(self, plot: QRectF, scale: tuple[float, float, float], value: float) -> float:
        left, right, _ = scale
        return plot.left() + (value + left) / (left + right) * plot.width()

    def row_at(self, pos: QPointF) -> int:
        """The aspect under ``pos`` (the whole row: label, bar and numbers), -1 if none."""
        if not self._rows:
            return -1
        area = self._area()
        plot, row_h = self._plot(area)
        if not (area.left() <= pos.x() <= area.right() and plot.top() <= pos.y() < plot.bottom()):
            return -1
        return int((pos.y() - plot.top()) // row_h)

    def bar_rect(self, i: int) -> QRectF:
        """Where aspect ``i``'s bar is drawn (for tests and hit testing)."""
        plot, row_h = self._plot(self._area())
        scale = self._scale()
        pieces = segments(self._rows[i])
        if not pieces:
            return QRectF()
        y = plot.top() + i * row_h + row_h * 0.19
        x0, x1 = self._x(plot, scale, pieces[0].lo), self._x(plot, scale, pieces[-1].hi)
        return QRectF(x0, y, x1 - x0, row_h * 0.62)

    # ---- mouse ---------------------------------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        row = self.row_at(event.position())
        if row != self._hover:
            self._hover = row
            self.setCursor(Qt.PointingHandCursor if row >= 0 else Qt.ArrowCursor)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._hover = -1
        self.update()
        super().leaveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        row = self.row_at(event.position())
        if event.button() == Qt.LeftButton and row >= 0:
            self.aspectClicked.emit(self._rows[row])
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, n = event.key(), len(self._rows)
        if n and key in (Qt.Key_Down, Qt.Key_Up):
            step = 1 if key == Qt.Key_Down else -1
            self._hover = min(max(self._hover + step, 0), n - 1) if self._hover >= 0 else (0 if step > 0 else n - 1)
            self.update()
        elif n and key in (Qt.Key_Return, Qt.Key_Enter) and 0 <= self._hover < n:
            self.aspectClicked.emit(self._rows[self._hover])
        else:
            super().keyPressEvent(event)

    def hovered(self) -> int:
        """The aspect under the mouse or picked with the arrow keys (-1: none)."""
        return self._hover

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key_Return, Qt.Key_Enter) and 0 <= self._hover < len(self._rows):
            event.accept()  # Enter on a picked aspect opens it; it is not "accept the model's label"
            return True
        if event.type() == QEvent.ToolTip and isinstance(event, QHelpEvent):
            row = self.row_at(QPointF(event.pos()))
            if row >= 0:
                QToolTip.showText(event.globalPos(), tooltip_html(self._rows[row]), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # ---- painting ------------------------------------------------------------------------------
    def _paint_plot(self, p: QPainter, area: QRectF) -> None:
        plot, row_h = self._plot(area)
        scale = self._scale()
        self._paint_legend(p, area)
        self._paint_grid(p, plot, scale)
        for i, row in enumerate(self._rows):
            self._paint_row(p, area, plot, scale, i, row, row_h)

    def _legend_items(self) -> tuple[list[tuple[str, QColor, bool]], list[tuple[str, QColor, bool]]]:
        polarities = [(p.value.capitalize(), LABEL_COLORS[p].fill, True) for p in POLARITIES]
        sources = [("labeled", UI.color("text_muted"), True), ("by the model", UI.color("text_muted"), False)]
        return polarities, sources

    def _group_width(self, items: list[tuple[str, QColor, bool]]) -> float:
        fm = self._fm(0.8)
        return sum(fm.height() * 1.3 + 5 + fm.horizontalAdvance(name) + 12 for name, _, _ in items) - 12

    def _legend_lines(self, width: float) -> int:
        """One line when both groups fit beside the numbers column's header, else two."""
        polarities, sources = self._legend_items()
        room = width - self._numbers_width()
        return 1 if self._group_width(polarities) + 20 + self._group_width(sources) <= room else 2

    def _numbers_width(self) -> float:
        return self._fm(0.8).horizontalAdvance("8888") + self._fm(0.85, True).horizontalAdvance("+100") + 16

    def _paint_legend(self, p: QPainter, area: QRectF) -> None:
        """Polarity colours on the left; solid = labeled, hatched = the model's on the right (or below)."""
        fm = self._fm(0.8)
        p.setFont(self.small_font(0.8))
        polarities, sources = self._legend_items()
        two = self._legend_lines(area.width()) == 2
        x_src = area.left() if two else area.left() + self._group_width(polarities) + 20
        y_src = area.top() + 2 + (fm.height() + 4 if two else 0)
        column = QRectF(area.right() - self._numbers_width() + 4, y_src, self._numbers_width() - 4, fm.height())
        p.setPen(UI.color("text_faint"))
        p.drawText(column, Qt.AlignLeft | Qt.AlignVCenter, "n")
        p.drawText(column, Qt.AlignRight | Qt.AlignVCenter, "net")
        for items, x, y in ((polarities, area.left(), area.top() + 2), (sources, x_src, y_src)):
            for name, color, human in items:
                sw = fm.height() * 0.72
                swatch = QRectF(x, y + (fm.height() - sw) / 2, fm.height() * 1.3 if items is sources else sw, sw)
                self._fill(p, swatch, color, human, 2.0)
                x = swatch.right() + 5
                p.setPen(UI.color("text_muted"))
                p.drawText(QRectF(x, y, fm.horizontalAdvance(name) + 2, fm.height()), Qt.AlignVCenter, name)
                x += fm.horizontalAdvance(name) + 12

    def _paint_grid(self, p: QPainter, plot: QRectF, scale: tuple[float, float, float]) -> None:
        left, right, step = scale
        fm = self._fm(0.8)
        p.setFont(self.small_font(0.8))
        v = -left
        while v <= right + 1e-9:
            x = self._x(plot, scale, v)
            p.setPen(QPen(UI.color("border_strong") if abs(v) < 1e-9 else UI.color("grid"), 1))
            p.drawLine(QPointF(x, plot.top() - 2), QPointF(x, plot.bottom() + 2))
            p.setPen(UI.color("text_muted"))
            p.drawText(QRectF(x - 30, plot.bottom() + 4, 60, fm.height()), Qt.AlignCenter, fmt_number(abs(v)))
            v += step
        y = plot.bottom() + fm.height() + 6
        zero = self._x(plot, scale, 0)
        p.setPen(LABEL_COLORS[Polarity.NEGATIVE].text)
        p.drawText(QRectF(plot.left(), y, zero - plot.left() - 6, fm.height()), Qt.AlignRight | Qt.AlignVCenter,
                   "← negative")
        p.setPen(LABEL_COLORS[Polarity.POSITIVE].text)
        p.drawText(QRectF(zero + 6, y, plot.right() - zero, fm.height()), Qt.AlignLeft | Qt.AlignVCenter,
                   "positive →")
        p.setPen(UI.color("text_faint"))
        p.drawText(QRectF(plot.left() - 200, y, 194, fm.height()), Qt.AlignRight | Qt.AlignVCenter, "mentions")

    def _paint_row(self, p: QPainter, area: QRectF, plot: QRectF, scale: tuple[float, float, float], i: int,
                   row: Any, row_h: float) -> None:
        band = QRectF(area.left() - 6, plot.top() + i * row_h, area.width() + 12, row_h)
        if i == self._hover:
            p.setPen(Qt.NoPen)
            p.setBrush(UI.color("accent_tint"))
            p.drawRoundedRect(band, 5, 5)
        hovered = i == self._hover
        fm = self._fm(0.88, hovered)
        p.setFont(self.small_font(0.88, hovered))
        p.setPen(UI.color("text"))
        label = QRectF(area.left(), band.top(), plot.left() - area.left() - 8, row_h)
        p.drawText(label, Qt.AlignRight | Qt.AlignVCenter, fm.elidedText(row.term, Qt.ElideRight, label.width()))
        bar = self.bar_rect(i)
        if not bar.isEmpty():
            clip = QPainterPath()
            clip.addRoundedRect(bar, 3, 3)
            p.save()
            p.setClipPath(clip)
            for seg in segments(row):
                x0, x1 = self._x(plot, scale, seg.lo), self._x(plot, scale, seg.hi)
                self._fill(p, QRectF(x0, bar.top(), x1 - x0, bar.height()), LABEL_COLORS[seg.polarity].fill,
                           seg.human, 0.0)
                p.setPen(QPen(UI.color("surface"), 1))  # a hairline keeps neighbouring pieces apart
                p.drawLine(QPointF(x1, bar.top()), QPointF(x1, bar.bottom()))
            p.restore()
        self._paint_numbers(p, area, plot, band, row)

    def _paint_numbers(self, p: QPainter, area: QRectF, plot: QRectF, band: QRectF, row: Any) -> None:
        right = QRectF(plot.right() + 4, band.top(), area.right() - plot.right() - 4, band.height())
        p.setFont(self.small_font(0.8))
        p.setPen(UI.color("text_muted"))
        p.drawText(right, Qt.AlignLeft | Qt.AlignVCenter, str(row.mentions))
        net = net_score(row)
        tone = (Polarity.NEUTRAL if net is None or abs(net) < 0.2 else
                Polarity.POSITIVE if net > 0 else Polarity.NEGATIVE)
        p.setFont(self.small_font(0.85, bold=True))
        p.setPen(LABEL_COLORS[tone].text)
        p.drawText(right, Qt.AlignRight | Qt.AlignVCenter, fmt_net(net))

    @staticmethod
    def _fill(p: QPainter, rect: QRectF, color: QColor, human: bool, radius: float) -> None:
        p.setPen(Qt.NoPen)
        if human:
            p.setBrush(color)
            p.drawRoundedRect(rect, radius, radius)
            return
        light = QColor(color)
        light.setAlpha(70)
        p.setBrush(light)
        p.drawRoundedRect(rect, radius, radius)
        hatch = QColor(color)
        hatch.setAlpha(170)
        p.setBrush(QBrush(hatch, Qt.BDiagPattern))
        p.drawRoundedRect(rect, radius, radius)
