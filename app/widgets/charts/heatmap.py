"""The agreement heatmap: Cohen's kappa for every pair of annotators, as a painted matrix.

Each off-diagonal cell is one pair: its colour says the kappa (white at chance, 0, to the
accent blue at perfect agreement, 1; below chance turns red), its text the kappa and how many
terms both labeled. The matrix is symmetric, so both halves show, the way people read a
correlation matrix. A pair with no shared terms (or an undefined kappa) is hatched grey.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QWidget

from app.theme.style import UI, LABEL_COLORS
from app.widgets.charts.base import Chart
from core.domain import Polarity

Pair = tuple[str, str]
MAX_CELL = 92.0   # a two-annotator matrix should not fill the tab with two giant squares
LEGEND_H = 10.0


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    t = min(max(t, 0.0), 1.0)
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


def kappa_color(kappa: float | None) -> QColor:
    """White at 0 (chance), accent blue at 1; negative values (worse than chance) go to red."""
    if kappa is None:
        return UI.color("surface_alt")
    if kappa >= 0:
        return _mix(QColor("#ffffff"), UI.color("accent"), kappa)
    return _mix(QColor("#ffffff"), LABEL_COLORS[Polarity.NEGATIVE].fill, -kappa)


def text_on(fill: QColor) -> QColor:
    """Dark text on light cells, white on dark ones (perceived lightness)."""
    return QColor("#ffffff") if fill.lightnessF() < 0.6 else UI.color("text")


class KappaHeatmap(Chart):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Cohen's kappa per pair", "Agreement needs labels from two annotators", parent)
        self._names: tuple[str, ...] = ()
        self._kappa: dict[Pair, float | None] = {}
        self._n: dict[Pair, int] = {}
        self.setMinimumSize(260, 220)

    def set_pairs(self, names: Sequence[str], pairs: Sequence[tuple[str, str, int, float | None]]) -> None:
        """``pairs``: (a, b, shared terms, kappa) as the store's report gives them (a < b)."""
        self._names = tuple(names)
        self._kappa = {}
        self._n = {}
        for a, b, n, kappa in pairs:
            for key in ((a, b), (b, a)):
                self._kappa[key], self._n[key] = kappa, n
        self.update()

    def cell(self, a: str, b: str) -> tuple[int, float | None] | None:
        """(shared terms, kappa) of a pair as drawn; None for the diagonal or an unknown pair."""
        if (a, b) not in self._n:
            return None
        return self._n[(a, b)], self._kappa[(a, b)]

    def names(self) -> tuple[str, ...]:
        return self._names

    def _has_data(self) -> bool:
        return len(self._names) >= 2

    def _paint_plot(self, p: QPainter, area: QRectF) -> None:
        names = self._names
        k = len(names)
        fm = QFontMetricsF(self.small_font(0.85))
        label_w = min(max(fm.horizontalAdvance(n) for n in names) + 12, area.width() * 0.3)
        head_h = fm.height() + 8
        room = QRectF(area.left() + label_w, area.top() + head_h, area.width() - label_w,
                      area.height() - head_h - LEGEND_H - fm.height() - 14)
        size = max(min(room.width() / k, room.height() / k, MAX_CELL), 8.0)
        grid = QRectF(room.left(), room.top(), size * k, size * k)
        p.setFont(self.small_font(0.85))
        for i, name in enumerate(names):
            p.setPen(UI.color("text_muted"))
            row_box = QRectF(area.left(), grid.top() + i * size, label_w - 8, size)
            p.drawText(row_box, Qt.AlignRight | Qt.AlignVCenter, fm.elidedText(name, Qt.ElideMiddle, label_w - 8))
            col_box = QRectF(grid.left() + i * size, area.top(), size, head_h - 4)
            p.drawText(col_box, Qt.AlignHCenter | Qt.AlignBottom, fm.elidedText(name, Qt.ElideMiddle, size - 2))
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                self._paint_cell(p, QRectF(grid.left() + j * size, grid.top() + i * size, size, size), a, b, i == j)
        self._paint_legend(p, QRectF(grid.left(), grid.bottom() + 10, max(grid.width(), 160.0), LEGEND_H))

    def _paint_cell(self, p: QPainter, box: QRectF, a: str, b: str, diagonal: bool) -> None:
        inner = box.adjusted(1.5, 1.5, -1.5, -1.5)
        if diagonal:
            p.fillRect(inner, UI.color("surface_alt"))
            return
        kappa, n = self._kappa.get((a, b)), self._n.get((a, b), 0)
        fill = kappa_color(kappa if n else None)
        p.setPen(QPen(UI.color("border"), 1))
        p.setBrush(fill)
        p.drawRoundedRect(inner, 4, 4)
        if kappa is None or not n:
            p.fillRect(inner, QBrush(UI.color("border"), Qt.BDiagPattern))
        p.setPen(text_on(fill))
        big, small = self.small_font(1.0, bold=True), self.small_font(0.75)
        hb, hs = QFontMetricsF(big).height(), QFontMetricsF(small).height()
        show_n = inner.height() >= hb + hs + 4
        top = inner.center().y() - (hb + (hs if show_n else 0)) / 2
        p.setFont(big)
        p.drawText(QRectF(inner.left(), top, inner.width(), hb), Qt.AlignCenter,
                   "—" if kappa is None else f"{kappa:.2f}")
        if show_n:
            p.setFont(small)
            p.drawText(QRectF(inner.left(), top + hb, inner.width(), hs), Qt.AlignCenter, f"n {n}")

    def _paint_legend(self, p: QPainter, bar: QRectF) -> None:
        """-1 (red) … 0 (white, chance) … 1 (blue, perfect) under the matrix."""
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for stop, value in ((0.0, -1.0), (0.5, 0.0), (1.0, 1.0)):
            gradient.setColorAt(stop, kappa_color(value))
        p.setPen(QPen(UI.color("border"), 1))
        p.setBrush(gradient)
        p.drawRoundedRect(bar, 3, 3)
        p.setFont(self.small_font(0.75))
        p.setPen(UI.color("text_muted"))
        fm = QFontMetricsF(p.font())
        below = QRectF(bar.left(), bar.bottom() + 2, bar.width(), fm.height())
        p.drawText(below, Qt.AlignLeft | Qt.AlignTop, "−1")
        p.drawText(below, Qt.AlignHCenter | Qt.AlignTop, "0 chance")
        p.drawText(below, Qt.AlignRight | Qt.AlignTop, "1 perfect")


def pairs_of(report: object) -> list[tuple[str, str, int, float | None]]:
    """(a, b, n, kappa) of an ``AgreementReport``'s pairs, for ``set_pairs``."""
    return [(pr.a, pr.b, pr.n, pr.kappa) for pr in getattr(report, "pairs", ())]


__all__ = ["KappaHeatmap", "kappa_color", "pairs_of", "text_on"]
