"""Small QPainter charts (QtCharts lives in PySide6-Addons, which the app does not ship).

Each chart is a card: a title, a plot area with tidy margins, muted axes and grid lines, and
an empty state. ``_Chart`` does the shared parts; subclasses only place their marks.
``nice_ticks`` is pure so axis choices are tested without Qt.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.domain import LABEL_NAMES
from app.style import SERIES_COLORS, UI, label_colors


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


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


def _pct(v: float, digits: int = 0) -> str:
    return f"{v * 100:.{digits}f} %"


def _zoom_fraction(values: Sequence[float]) -> tuple[float, float]:
    """An accuracy axis zoomed on the data (80-85 % on a 0-100 axis is a flat line), kept in [0, 1]."""
    lo, hi = min(values), max(values)
    lo = max(0.0, math.floor((lo - 0.03) * 20) / 20)
    hi = min(1.0, math.ceil((hi + 0.03) * 20) / 20)
    return lo, max(hi, lo + 0.05)


def _y_at(plot: QRectF, ticks: Sequence[float], value: float) -> float:
    """Pixel y of ``value`` on an axis spanning the first to the last tick."""
    return plot.bottom() - (value - ticks[0]) / (ticks[-1] - ticks[0]) * plot.height()


def _top_rounded(r: QRectF, radius: float) -> QPainterPath:
    """A bar with rounded top corners and a square foot that sits flat on the baseline."""
    path = QPainterPath(r.bottomLeft())
    path.lineTo(r.left(), r.top() + radius)
    path.quadTo(r.topLeft(), QPointF(r.left() + radius, r.top()))
    path.lineTo(r.right() - radius, r.top())
    path.quadTo(r.topRight(), QPointF(r.right(), r.top() + radius))
    path.lineTo(r.bottomRight())
    path.closeSubpath()
    return path


class _Chart(QWidget):
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
            y = _y_at(plot, ticks, t)
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


class LabelDistributionChart(_Chart):
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
        plot = area.adjusted(self._axis_width([_fmt(t) for t in ticks]) + fm_small.height(), 8, -4,
                             -2.2 * fm_small.height() - 8)
        self._axis_title(p, QRectF(area.left(), plot.top(), fm_small.height(), plot.height()), "terms", True)
        self._y_axis(p, plot, ticks, _fmt)
        self._baseline(p, plot)
        slot = plot.width() / len(self._counts)
        bar_w = min(slot * 0.56, 76.0)
        for i, (name, n) in enumerate(self._counts.items()):
            cx = plot.left() + slot * (i + 0.5)
            h = n / ticks[-1] * plot.height()
            colors = label_colors(name)
            bar = QRectF(cx - bar_w / 2, plot.bottom() - h, bar_w, h)
            if h > 0:
                p.fillPath(_top_rounded(bar, min(5.0, h, bar_w / 2)), colors.fill)
            p.setFont(self.small_font(0.88, bold=True))
            p.setPen(UI.color("text"))
            p.drawText(QRectF(cx - slot / 2, bar.top() - 20, slot, 18), Qt.AlignHCenter | Qt.AlignBottom, str(n))
            p.setFont(self.small_font(0.82, bold=True))
            p.setPen(colors.text)
            below = QRectF(cx - slot / 2, plot.bottom() + 4, slot, fm_small.height())
            p.drawText(below, Qt.AlignCenter, fm_small.elidedText(name.capitalize(), Qt.ElideRight, slot - 4))
            p.setFont(self.small_font(0.78))
            p.setPen(UI.color("text_faint"))
            p.drawText(below.translated(0, fm_small.height()), Qt.AlignCenter, _pct(n / total))


class ConfusionMatrixChart(_Chart):
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
                    p.drawText(rect.adjusted(0, rect.height() * 0.42, 0, 0), Qt.AlignCenter, _pct(share))
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


class TrainingCurveChart(_Chart):
    """Loss (left axis) and dev accuracy (right axis) per epoch, with each phase shaded and named."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Training", "Training curves appear here", parent)
        self._points: list[tuple[int, str, float | None, float | None]] = []

    def add_point(self, epoch_index: int, phase: str, loss: float | None, accuracy: float | None) -> None:
        """Append one epoch; a repeat of the last (phase, epoch) updates it (progress, then final)."""
        if self._points and self._points[-1][:2] == (epoch_index, phase):
            _, _, old_loss, old_acc = self._points[-1]
            self._points[-1] = (epoch_index, phase, loss if loss is not None else old_loss,
                                accuracy if accuracy is not None else old_acc)
        else:
            self._points.append((epoch_index, phase, loss, accuracy))
        self.update()

    def clear(self) -> None:
        self._points.clear()
        self.update()

    def points(self) -> list[tuple[int, str, float | None, float | None]]:
        return list(self._points)

    def _has_data(self) -> bool:
        return any(l is not None or a is not None for _, _, l, a in self._points)

    def _paint_plot(self, p: QPainter, area: QRectF) -> None:
        losses = [l for _, _, l, _ in self._points if l is not None]
        accs = [a for _, _, _, a in self._points if a is not None]
        loss_ticks = nice_ticks(0, max(losses) * 1.05 if losses else 1, 4)
        lo, hi = _zoom_fraction(accs) if accs else (0.0, 1.0)
        acc_ticks = nice_ticks(lo, hi, 4)
        fm = QFontMetricsF(self.small_font(0.8))
        legend_h = fm.height() + 6
        runs = self._phase_runs()
        strip = fm.height() + 2 if len(runs) > 1 else 0.0  # phase names, only when there are several
        plot = area.adjusted(self._axis_width([_fmt(t) for t in loss_ticks]) + fm.height(), legend_h + strip + 4,
                             -(self._axis_width([_pct(t) for t in acc_ticks]) + fm.height()), -2 * fm.height() - 8)
        n = len(self._points)

        def x_at(i: int) -> float:
            return plot.left() + (plot.width() * (i + 0.5) / n)

        self._phase_bands(p, plot, x_at, runs)
        loss_color, acc_color = SERIES_COLORS[0], SERIES_COLORS[1]
        self._y_axis(p, plot, loss_ticks, _fmt, color=loss_color)
        self._y_axis(p, plot, acc_ticks, _pct, right=True, grid=False, color=acc_color)
        self._baseline(p, plot)
        self._series(p, plot, x_at, 2, loss_ticks, loss_color)
        self._series(p, plot, x_at, 3, acc_ticks, acc_color)
        # x counts epochs across phases (two-phase: 1 body epoch + 20 head epochs = 1..21),
        # since each phase restarts its own epoch index; the bands show where phases change.
        stride = next(s for s in (1, 2, 5, 10, 20, 50, 100, 10**9) if plot.width() * s / n >= 26)
        p.setFont(self.small_font(0.78))
        p.setPen(UI.color("text_muted"))
        for i in range(n):
            if (i + 1) % stride == 0 or (i == 0 and stride > 2):  # "1" beside "2" would crowd
                p.drawText(QRectF(x_at(i) - 14, plot.bottom() + 3, 28, fm.height()), Qt.AlignCenter, str(i + 1))
        self._axis_title(p, QRectF(plot.left(), plot.bottom() + fm.height() + 5, plot.width(), fm.height()), "epoch")
        self._axis_title(p, QRectF(area.left(), plot.top(), fm.height(), plot.height()), "loss", True, loss_color)
        self._axis_title(p, QRectF(area.right() - fm.height(), plot.top(), fm.height(), plot.height()),
                         "dev accuracy", True, acc_color)
        self._legend(p, QRectF(plot.left(), area.top(), plot.width(), legend_h),
                     [("Loss", loss_color), ("Dev accuracy", acc_color)])

    def _phase_runs(self) -> list[tuple[str, int, int]]:
        """Consecutive points of one phase as (phase, first index, last index)."""
        runs: list[tuple[str, int, int]] = []
        for i, (_, phase, _, _) in enumerate(self._points):
            if runs and runs[-1][0] == phase:
                runs[-1] = (phase, runs[-1][1], i)
            else:
                runs.append((phase, i, i))
        return runs

    def _phase_bands(self, p: QPainter, plot: QRectF, x_at: Callable[[int], float],
                     runs: list[tuple[str, int, int]]) -> None:
        """Alternate phases get a faint band; names sit in a strip above the plot, centred on
        their band and pushed right when a short phase (one body epoch) leaves no room."""
        if len(runs) < 2:
            return
        half = plot.width() / len(self._points) / 2
        p.setFont(self.small_font(0.74, bold=True))
        fm = QFontMetricsF(p.font())
        free_x = plot.left()
        for k, (phase, a, b) in enumerate(runs):
            band = QRectF(x_at(a) - half, plot.top(), x_at(b) - x_at(a) + 2 * half, plot.height())
            if k % 2 == 1:
                p.fillRect(band, UI.color("window"))
                p.setPen(QPen(UI.color("border"), 1, Qt.DashLine))
                p.drawLine(band.topLeft(), band.bottomLeft())
            w = fm.horizontalAdvance(phase)
            x = max(band.center().x() - w / 2, free_x)
            if x + w <= plot.right():
                p.setPen(UI.color("text_faint"))
                p.drawText(QRectF(x, plot.top() - fm.height() - 3, w + 1, fm.height()), Qt.AlignCenter, phase)
                free_x = x + w + 8

    def _series(self, p: QPainter, plot: QRectF, x_at: Callable[[int], float], field: int,
                ticks: list[float], color: QColor) -> None:
        pts = [QPointF(x_at(i), _y_at(plot, ticks, pt[field])) for i, pt in enumerate(self._points)
               if pt[field] is not None]
        if len(pts) > 1:
            path = QPainterPath(pts[0])
            for q in pts[1:]:
                path.lineTo(q)
            p.setPen(QPen(color, 2, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
            p.setBrush(Qt.NoBrush)
            p.drawPath(path)
        p.setPen(QPen(UI.color("surface"), 1.5))
        p.setBrush(color)
        radius = 3.5 if len(pts) < 30 else 2.0
        for q in pts:
            p.drawEllipse(q, radius, radius)

    def _legend(self, p: QPainter, r: QRectF, items: list[tuple[str, QColor]]) -> None:
        p.setFont(self.small_font(0.8))
        fm = QFontMetricsF(p.font())
        x = r.right()
        for name, color in reversed(items):  # right-aligned, so it never collides with the title
            w = fm.horizontalAdvance(name)
            x -= w
            p.setPen(UI.color("text_muted"))
            p.drawText(QRectF(x, r.top(), w, r.height()), Qt.AlignVCenter | Qt.AlignLeft, name)
            x -= 20
            p.setPen(QPen(color, 2.5, Qt.SolidLine, Qt.RoundCap))
            p.drawLine(QPointF(x, r.center().y()), QPointF(x + 14, r.center().y()))
            x -= 14


class VersionsChart(_Chart):
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
        ticks = nice_ticks(*_zoom_fraction([a for _, a in self._versions]), 4)
        fm = QFontMetricsF(self.small_font(0.8))
        plot = area.adjusted(self._axis_width([_pct(t) for t in ticks]) + fm.height(), 18, -6, -2 * fm.height() - 8)
        self._y_axis(p, plot, ticks, _pct)
        self._baseline(p, plot)
        slot = plot.width() / len(self._versions)
        pts = [QPointF(plot.left() + slot * (i + 0.5), _y_at(plot, ticks, a)) for i, (_, a) in enumerate(self._versions)]
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
                p.drawText(QRectF(q.x() - 40, q.y() - 24, 80, 16), Qt.AlignCenter, _pct(acc, 1))
            p.drawText(QRectF(q.x() - slot / 2, plot.bottom() + 4, slot, fm.height()), Qt.AlignCenter,
                       fm.elidedText(name, Qt.ElideMiddle, slot - 4))
        self._axis_title(p, QRectF(plot.left(), plot.bottom() + fm.height() + 6, plot.width(), fm.height()), "version")
        self._axis_title(p, QRectF(area.left(), plot.top(), fm.height(), plot.height()), "dev accuracy", True)
