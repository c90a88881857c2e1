"""The training chart: loss and dev accuracy per epoch, each training phase shaded and named.

Within an epoch the loss of every step is drawn too (smoothed), so a long epoch shows the
training moving instead of one point appearing minutes later.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from app.theme.style import SERIES_COLORS, UI
from app.widgets.charts.base import Chart, fmt_number, fmt_pct, nice_ticks, y_at, zoom_fraction


SMOOTHING = 0.2  # weight of the newest step in the moving average of the step loss


class TrainingCurveChart(Chart):
    """Loss (left axis) and dev accuracy (right axis) per epoch, with each phase shaded and named."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Training", "Training curves appear here", parent)
        self._points: list[tuple[int, str, float | None, float | None]] = []
        self._steps: list[tuple[float, str, float]] = []  # (x in epoch slots, phase, smoothed loss)

    def add_point(self, epoch_index: int, phase: str, loss: float | None, accuracy: float | None) -> None:
        """Append one epoch; a repeat of the last (phase, epoch) updates it (progress, then final)."""
        if self._points and self._points[-1][:2] == (epoch_index, phase):
            _, _, old_loss, old_acc = self._points[-1]
            self._points[-1] = (epoch_index, phase, loss if loss is not None else old_loss,
                                accuracy if accuracy is not None else old_acc)
        else:
            self._points.append((epoch_index, phase, loss, accuracy))
        self.update()

    def add_step(self, epoch_index: int, phase: str, fraction: float, loss: float) -> None:
        """One training step at ``fraction`` (0..1] through epoch slot ``epoch_index``. The loss is
        smoothed (exponential moving average, restarted per phase): single batches are noisy."""
        if self._steps and self._steps[-1][1] == phase:
            loss = SMOOTHING * loss + (1 - SMOOTHING) * self._steps[-1][2]
        self._steps.append((epoch_index + min(max(fraction, 0.0), 1.0), phase, loss))
        self.update()

    def steps(self) -> list[tuple[float, str, float]]:
        return list(self._steps)

    def clear(self) -> None:
        self._points.clear()
        self._steps.clear()
        self.update()

    def points(self) -> list[tuple[int, str, float | None, float | None]]:
        return list(self._points)

    def _has_data(self) -> bool:
        return bool(self._steps) or any(l is not None or a is not None for _, _, l, a in self._points)

    def _slots(self) -> int:
        """Epoch slots on the x axis: the epochs finished, or the one under way."""
        last_step = int(self._steps[-1][0] - 1e-9) + 1 if self._steps else 0
        return max(len(self._points), last_step, 1)

    def _paint_plot(self, p: QPainter, area: QRectF) -> None:
        losses = [l for _, _, l, _ in self._points if l is not None] + [l for _, _, l in self._steps]
        accs = [a for _, _, _, a in self._points if a is not None]
        loss_ticks = nice_ticks(0, max(losses) * 1.05 if losses else 1, 4)
        lo, hi = zoom_fraction(accs) if accs else (0.0, 1.0)
        acc_ticks = nice_ticks(lo, hi, 4)
        fm = QFontMetricsF(self.small_font(0.8))
        legend_h = fm.height() + 6
        runs = self._phase_runs()
        strip = fm.height() + 2 if len(runs) > 1 else 0.0  # phase names, only when there are several
        plot = area.adjusted(self._axis_width([fmt_number(t) for t in loss_ticks]) + fm.height(), legend_h + strip + 4,
                             -(self._axis_width([fmt_pct(t) for t in acc_ticks]) + fm.height()), -2 * fm.height() - 8)
        n = self._slots()

        def x_at(i: int) -> float:
            return plot.left() + (plot.width() * (i + 0.5) / n)

        self._phase_bands(p, plot, x_at, runs)
        loss_color, acc_color = SERIES_COLORS[0], SERIES_COLORS[1]
        self._y_axis(p, plot, loss_ticks, fmt_number, color=loss_color)
        self._y_axis(p, plot, acc_ticks, fmt_pct, right=True, grid=False, color=acc_color)
        self._baseline(p, plot)
        self._step_line(p, plot, n, loss_ticks, loss_color)
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

    def _step_line(self, p: QPainter, plot: QRectF, n: int, ticks: list[float], color: QColor) -> None:
        """The smoothed per-step loss: a thin line under the epoch points."""
        if len(self._steps) < 2:
            return
        pts = [QPointF(plot.left() + plot.width() * x / n, y_at(plot, ticks, loss)) for x, _, loss in self._steps]
        path = QPainterPath(pts[0])
        for q in pts[1:]:
            path.lineTo(q)
        faint = QColor(color)
        faint.setAlphaF(0.55)
        p.setPen(QPen(faint, 1.3, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
        p.setBrush(Qt.NoBrush)
        p.drawPath(path)

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
        half = plot.width() / self._slots() / 2
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
        pts = [QPointF(x_at(i), y_at(plot, ticks, pt[field])) for i, pt in enumerate(self._points)
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
