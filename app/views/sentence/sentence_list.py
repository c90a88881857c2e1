"""The sentence list: a paged QAbstractListModel over the project store, and its delegate.

The model asks the store for a count, then for pages of ``PAGE`` sentences as the view scrolls
(``canFetchMore`` / ``fetchMore``), so a project of 100 000 sentences opens as fast as one of 100.
Rows hold frozen ``SentenceRecord``s; after a label is written, ``refresh`` re-reads only the
rows that changed. A row stays where it is when it stops matching the filter (it would be
disorienting for the sentence being labeled to vanish); the filter applies again on reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPen, QTextLayout, QTextOption
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.state.list_filter import ListFilter, SuggestedFilter
from app.theme.style import LABEL_COLORS, UI
from core.domain import Polarity
from core.storage import SentenceFilter, SentenceRecord

PAGE = 100
RECORD_ROLE = Qt.UserRole + 1
MARKS_ROLE = Qt.UserRole + 2  # RowMarks: the row's open suggestions and "all terms done"


@dataclass(frozen=True)
class RowMarks:
    """What the row shows beside its terms: its open suggested terms (text, predicted) and the done check."""

    suggested: tuple[tuple[str, Polarity | None], ...] = ()
    done: bool = False
_Index = QModelIndex | QPersistentModelIndex


class SentenceListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._project: Any = None
        self._filter: ListFilter = SentenceFilter()
        self._rows: list[SentenceRecord] = []
        self._total = 0
        self._marks: dict[int, RowMarks] = {}  # by sentence id; the suggestions' controller fills it

    # ---- state -------------------------------------------------------------------------------
    def set_project(self, project: Any) -> None:
        self._project = project
        self.reset()

    def set_filter(self, f: ListFilter) -> None:
        self._filter = f
        self.reset()

    def filter(self) -> ListFilter:
        return self._filter

    def total(self) -> int:
        """How many sentences match the filter (loaded or not)."""
        return self._total

    def reset(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._marks = {}
        self._total = self._count() if self._project is not None else 0
        if self._project is not None and self._total:
            self._rows = self._page(0)
        self.endResetModel()

    def _count(self) -> int:
        f = self._filter
        return self._project.count_with_suggestions(f.text) if isinstance(f, SuggestedFilter) else self._project.count(f)

    def _page(self, offset: int) -> list[SentenceRecord]:
        f = self._filter
        if isinstance(f, SuggestedFilter):
            return self._project.page_with_suggestions(offset, PAGE, f.text)
        return self._project.page(f, offset=offset, limit=PAGE)

    # ---- Qt model ----------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        rec = self._rows[index.row()]
        if role == RECORD_ROLE:
            return rec
        if role == MARKS_ROLE:
            return self._marks.get(rec.id)
        if role in (Qt.DisplayRole, Qt.AccessibleTextRole):
            return rec.text
        if role == Qt.ToolTipRole:
            return "\n".join(f"{t.text}: {t.label.value if t.label else 'unlabeled'}" for t in rec.terms) or None
        return None

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and self._project is not None and len(self._rows) < self._total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: N802
        if not self.canFetchMore(parent):
            return
        page = self._page(len(self._rows))
        if not page:
            self._total = len(self._rows)  # the store changed under us; stop asking
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    # ---- access ------------------------------------------------------------------------------
    def record(self, row: int) -> SentenceRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, sentence_id: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == sentence_id), None)

    def set_marks(self, marks: Mapping[int, RowMarks]) -> None:
        """The suggested terms and done checks of these sentences; their loaded rows repaint."""
        self._marks.update(marks)
        for i, r in enumerate(self._rows):
            if r.id in marks:
                self.dataChanged.emit(self.index(i), self.index(i), [MARKS_ROLE])

    def refresh(self, sentence_ids: Iterable[int] | None = None) -> None:
        """Re-read the given loaded rows (all loaded rows when None) and repaint them."""
        wanted = set(sentence_ids) if sentence_ids is not None else {r.id for r in self._rows}
        if self._project is None or not wanted:
            return
        rows = [i for i, r in enumerate(self._rows) if r.id in wanted]
        ids = [self._rows[i].id for i in rows]
        fresh: dict[int, SentenceRecord] = {}
        for k in range(0, len(ids), 500):
            fresh.update((r.id, r) for r in self._project.sentences(ids[k:k + 500]))
        for i in rows:
            rec = fresh.get(self._rows[i].id)
            if rec is not None:
                self._rows[i] = rec
                idx = self.index(i)
                self.dataChanged.emit(idx, idx, [RECORD_ROLE, Qt.DisplayRole, Qt.ToolTipRole])


class SentenceDelegate(QStyledItemDelegate):
    """Two lines of the sentence, then a row of term chips: tinted by your label, dashed by the model's."""

    PAD = 10.0
    LINES = 2
    CHIP_H = 20.0

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:  # noqa: N802
        fm = QFontMetricsF(option.font)
        return QSize(200, int(2 * self.PAD + self.LINES * fm.lineSpacing() + 6 + self.CHIP_H))

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        rec: SentenceRecord | None = index.data(RECORD_ROLE)
        if rec is None:
            return super().paint(p, option, index)
        p.save()
        p.setRenderHint(QPainter.Antialiasing)
        r = QRectF(option.rect)
        selected = bool(option.state & QStyle.State_Selected)
        if selected:
            p.fillRect(r, UI.color("accent_tint"))
            p.fillRect(QRectF(r.left(), r.top(), 3, r.height()), UI.color("accent"))
        elif option.state & QStyle.State_MouseOver:
            p.fillRect(r, UI.color("surface_alt"))
        p.setPen(QPen(UI.color("grid"), 1))
        p.drawLine(r.bottomLeft(), r.bottomRight())
        inner = r.adjusted(self.PAD + 2, self.PAD, -self.PAD, -self.PAD)
        text_bottom = self._paint_text(p, inner, rec.text, option)
        marks = index.data(MARKS_ROLE) or RowMarks()
        self._paint_chips(p, QRectF(inner.left(), text_bottom + 6, inner.width(), self.CHIP_H), rec, marks, option)
        p.restore()

    def _paint_text(self, p: QPainter, r: QRectF, text: str, option: QStyleOptionViewItem) -> float:
        fm = QFontMetricsF(option.font)
        layout = QTextLayout(text.replace("\n", " "), option.font)
        opt = QTextOption()
        opt.setWrapMode(QTextOption.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(opt)
        layout.beginLayout()
        lines = []
        while len(lines) < self.LINES:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(r.width())
            lines.append(line)
        layout.endLayout()
        p.setPen(UI.color("text"))
        p.setFont(option.font)
        y = r.top()
        for i, line in enumerate(lines):
            start, length = line.textStart(), line.textLength()
            chunk = layout.text()[start:start + length]
            if i == len(lines) - 1 and start + length < len(layout.text()):
                chunk = fm.elidedText(layout.text()[start:], Qt.ElideRight, r.width())
            p.drawText(QRectF(r.left(), y, r.width(), fm.lineSpacing()), Qt.AlignLeft | Qt.AlignVCenter, chunk)
            y += fm.lineSpacing()
        return r.top() + self.LINES * fm.lineSpacing()

    def _paint_chips(self, p: QPainter, r: QRectF, rec: SentenceRecord, marks: RowMarks,
                     option: QStyleOptionViewItem) -> None:
        font = QFont(option.font)
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7))
        p.setFont(font)
        fm = QFontMetricsF(font)
        italic = QFont(font)
        italic.setItalic(True)
        x = r.left()
        if marks.done:  # "all terms done": a green check before the chips
            p.setPen(LABEL_COLORS[Polarity.POSITIVE].fill)
            p.drawText(QRectF(x, r.top(), 16, r.height()), Qt.AlignCenter, "✓")
            x += 20
        terms = [*rec.terms, *marks.suggested]
        for k, t in enumerate(terms):
            suggested = isinstance(t, tuple)
            chip_fm = QFontMetricsF(italic) if suggested else fm
            label = chip_fm.elidedText(t[0] if suggested else t.text, Qt.ElideRight, 140)
            w = chip_fm.horizontalAdvance(label) + 14
            if x + w > r.right():
                p.setPen(UI.color("text_muted"))
                p.setFont(font)
                p.drawText(QRectF(x, r.top(), r.right() - x, r.height()), Qt.AlignLeft | Qt.AlignVCenter,
                           f"+{len(terms) - k}")
                break
            chip = QRectF(x, r.top(), w, r.height())
            if suggested:  # a suggested term: long dashes on white and italics, not yet a term
                pen = QPen(LABEL_COLORS[t[1]].fill if t[1] is not None else UI.color("border_strong"), 1.2,
                           Qt.CustomDashLine)
                pen.setDashPattern([4.0, 2.5])
                p.setPen(pen)
                p.setBrush(UI.color("surface"))
                text_color = LABEL_COLORS[t[1]].text if t[1] is not None else UI.color("text_muted")
            elif t.label is not None:
                colors = LABEL_COLORS[t.label]
                p.setPen(QPen(colors.border, 1))
                p.setBrush(colors.tint)
                text_color = colors.text
            else:
                colors = LABEL_COLORS[t.predicted] if t.predicted is not None else None
                pen = QPen(colors.fill if colors else UI.color("border_strong"), 1, Qt.DashLine)
                pen.setDashPattern([3.0, 2.5])
                p.setPen(pen)
                p.setBrush(UI.color("surface"))
                text_color = UI.color("text_muted")
            p.drawRoundedRect(chip.adjusted(0.5, 0.5, -0.5, -0.5), 9, 9)
            p.setPen(text_color)
            p.setFont(italic if suggested else font)
            p.drawText(chip, Qt.AlignCenter, label)
            x += w + 6
