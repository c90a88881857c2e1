"""The sentence widget: click a word or drag over a phrase to pick a term; known terms are coloured.

Word boundaries are pure functions (``word_spans``, ``word_at``, ``snap_to_words``) so they
are tested without Qt. The widget lays the sentence out with ``QTextLayout`` (it wraps,
shapes any script, and maps points to characters for us) and paints term boxes under the text.
Every offset in the API is a Python ``str`` index, the same units as ``TermExample.start/end``;
Qt counts UTF-16 units, so an emoji before a term shifts Qt's indices: ``_to_qt`` / ``_to_py``
convert at the boundary.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QKeyEvent, QMouseEvent, QPainter,
                           QPaintEvent, QPen, QTextCharFormat, QTextLayout, QTextLine, QTextOption)
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from core.domain import Polarity
from app.style import LABEL_COLORS, UI

# Apostrophes and hyphens join two word parts ("didn't", "wi-fi") but never start or end a word.
JOINERS = frozenset("'\u2019\u02bc-\u2010\u2011")


def is_word_char(ch: str) -> bool:
    """Letters and digits of any script, plus combining marks (a decomposed "café" stays one word)."""
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def word_spans(text: str) -> list[tuple[int, int]]:
    """All words of ``text`` as ``(start, end)``: maximal runs of word characters, joined by
    single internal apostrophes/hyphens. Punctuation and spaces are never part of a word."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if not is_word_char(text[i]):
            i += 1
            continue
        j = i + 1
        while j < n and (is_word_char(text[j]) or
                         (text[j] in JOINERS and j + 1 < n and is_word_char(text[j + 1]))):
            j += 1
        spans.append((i, j))
        i = j
    return spans


def word_at(text: str, offset: int) -> tuple[int, int] | None:
    """The word containing character ``offset``, or None on a space or punctuation."""
    for start, end in word_spans(text):
        if start <= offset < end:
            return start, end
        if start > offset:
            break
    return None


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Grow ``[start, end)`` to whole words: from the first to the last word it touches.

    A drag that starts or ends on a space or a comma still gives a clean phrase; a range
    that touches no word gives None.
    """
    start, end = min(start, end), max(start, end)
    hit = [(s, e) for s, e in word_spans(text) if s < end and e > start]
    if not hit:
        return None
    return hit[0][0], hit[-1][1]


def _utf16_index(text: str) -> list[int]:
    """``[i] -> UTF-16 offset of text[i]`` (length len+1), or [] when every char is one unit."""
    if all(ord(c) < 0x10000 for c in text):
        return []
    out, q = [], 0
    for c in text:
        out.append(q)
        q += 2 if ord(c) >= 0x10000 else 1
    out.append(q)
    return out


@dataclass(frozen=True)
class TermSpan:
    """A term already known in the sentence: its human ``label`` and/or the model's ``predicted`` one."""

    start: int
    end: int
    label: Polarity | None
    predicted: Polarity | None
    term_id: int | None = None

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


class SentenceView(QWidget):
    """One sentence, wrapped, with its terms drawn as rounded boxes.

    Mouse: click = the word under the pointer (or the existing term), drag = the phrase from
    the word under press to the word under release. Keyboard: Tab / Shift+Tab cycle existing
    terms, Left / Right step word by word, Shift+Left / Shift+Right grow the phrase.
    """

    spanSelected = Signal(int, int)

    MARGIN = 16.0      # inner padding of the card
    PAD_X, PAD_Y = 3.0, 3.0  # term box around the glyphs: small enough that neighbours never touch
    LINE_FACTOR = 1.75  # line pitch / font height: room for boxes and the focus ring between lines
    RADIUS = 5.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cache: dict[int, tuple[QTextLayout, float]] = {}  # before setFont: changeEvent reads it
        font = QFont(self.font())
        font.setPointSizeF(15)
        self.setFont(font)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMouseTracking(True)
        self.setAccessibleName("Sentence")
        policy = QSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._text = ""
        self._qt_index: list[int] = []  # Python index -> UTF-16 index; empty when they agree
        self._terms: list[TermSpan] = []
        self._selection: tuple[int, int] | None = None
        self._hover: tuple[int, int] | None = None
        self._placeholder = "No sentence"
        self._press: QPointF | None = None
        self._dragging = False

    # ---- public API -------------------------------------------------------------------------
    def set_sentence(self, text: str, terms: Sequence[TermSpan] = ()) -> None:
        """Show ``text`` with ``terms``. The selection survives when the text is unchanged
        (relabeling a term re-sends the same sentence); otherwise it is cleared silently."""
        if text != self._text:
            self._selection = None
            self._hover = None
            self._text = text
            self._qt_index = _utf16_index(text)
        self._terms = sorted((t for t in terms if 0 <= t.start < t.end <= len(text)), key=lambda t: (t.start, t.end))
        self._cache.clear()  # label colours are part of the layout's formats
        self.updateGeometry()
        self.update()

    def set_terms(self, terms: Sequence[TermSpan]) -> None:
        self.set_sentence(self._text, terms)

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def text(self) -> str:
        return self._text

    def terms(self) -> list[TermSpan]:
        return list(self._terms)

    def selected_span(self) -> tuple[int, int] | None:
        return self._selection

    def selected_term(self) -> TermSpan | None:
        """The existing term that is selected, if the selection is one."""
        return self.term_for_span(*self._selection) if self._selection else None

    def term_for_span(self, start: int, end: int) -> TermSpan | None:
        return next((t for t in self._terms if t.start == start and t.end == end), None)

    def select_span(self, start: int, end: int) -> None:
        """Select ``[start, end)`` as given (no snapping: terms from files may split words).
        Emits spanSelected only when the selection changes, so echoing it back is harmless."""
        if not (0 <= start < end <= len(self._text)):
            return
        if self._selection != (start, end):
            self._set_selection((start, end))

    def clear_selection(self) -> None:
        self._selection = None
        self.update()

    def select_next_term(self) -> None:
        self._cycle(+1)

    def select_previous_term(self) -> None:
        self._cycle(-1)

    # ---- geometry ---------------------------------------------------------------------------
    def span_rects(self, start: int, end: int) -> list[QRectF]:
        """Glyph rectangles of ``[start, end)`` in widget coordinates, one per wrapped line."""
        layout, _ = self._layout(self.width())
        origin = QPointF(self.MARGIN, self.MARGIN)
        rects: list[QRectF] = []
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            a = max(start, self._to_py(line.textStart()))
            b = min(end, self._to_py(line.textStart() + line.textLength()))
            while b > a and self._text[b - 1].isspace():  # a wrap leaves the space on the line
                b -= 1
            if a >= b:
                continue
            x1, x2 = line.cursorToX(self._to_qt(a))[0], line.cursorToX(self._to_qt(b))[0]
            rects.append(QRectF(origin.x() + min(x1, x2), origin.y() + line.y(), abs(x2 - x1), line.height()))
        return rects

    def span_rect(self, start: int, end: int) -> QRectF:
        """Bounding rectangle of ``span_rects`` (empty QRectF when the span is not visible)."""
        out = QRectF()
        for r in self.span_rects(start, end):
            out = r if out.isNull() else out.united(r)
        return out

    def offset_at(self, pos: QPointF, clamp: bool = False) -> int | None:
        """The character index under ``pos``; None off the text unless ``clamp`` (drags
        that leave the text keep extending to the nearest character)."""
        layout, _ = self._layout(self.width())
        if not self._text or layout.lineCount() == 0:
            return None
        x, y = pos.x() - self.MARGIN, pos.y() - self.MARGIN
        pitch = self._pitch()
        index = int(y // pitch)
        if not 0 <= index < layout.lineCount():
            if not clamp:
                return None
            index = 0 if index < 0 else layout.lineCount() - 1
        line = layout.lineAt(index)
        left, right = line.x(), line.x() + line.naturalTextWidth()
        if not clamp and not (left - self.PAD_X <= x <= right + self.PAD_X):
            return None
        x = min(max(x, left), right - 0.5)
        offset = line.xToCursor(x, QTextLine.CursorOnCharacter)
        last = line.textStart() + max(line.textLength() - 1, 0)
        return min(self._to_py(min(max(offset, line.textStart()), last)), len(self._text) - 1)

    def term_at(self, pos: QPointF) -> TermSpan | None:
        """The term whose box (padding included) contains ``pos``; the shortest wins when nested."""
        hits = [t for t in self._terms
                if any(r.adjusted(-self.PAD_X, -self.PAD_Y, self.PAD_X, self.PAD_Y).contains(pos)
                       for r in self.span_rects(t.start, t.end))]
        return min(hits, key=lambda t: t.end - t.start) if hits else None

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return int(self._layout(width)[1] + 0.999)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(520, self.heightForWidth(520))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(160, int(2 * self.MARGIN + self._pitch()))

    # ---- layout -----------------------------------------------------------------------------
    def _pitch(self) -> float:
        return round(QFontMetricsF(self.font()).height() * self.LINE_FACTOR)

    def _layout(self, width: int) -> tuple[QTextLayout, float]:
        """A laid-out QTextLayout for ``width`` and the widget height it needs (cached per width)."""
        if width in self._cache:
            return self._cache[width]
        # U+2028 breaks a line inside QTextLayout (a plain "\n" would not); same length, same offsets.
        layout = QTextLayout(self._text.replace("\n", "\u2028"), self.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.setFormats(self._label_formats())
        pitch, line_width = self._pitch(), max(width - 2 * self.MARGIN, 40.0)
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(line_width)
            # Centre the glyph line in its pitch so boxes and rings get equal room above and below.
            line.setPosition(QPointF(0, line.lineNumber() * pitch + (pitch - line.height()) / 2))
        layout.endLayout()
        height = 2 * self.MARGIN + max(layout.lineCount(), 1) * pitch
        if len(self._cache) > 8:  # resizing walks through many widths; keep a few
            self._cache.clear()
        self._cache[width] = (layout, height)
        return layout, height

    def _label_formats(self) -> list[QTextLayout.FormatRange]:
        """Dark label-coloured text on labeled terms: readable on their light tint."""
        formats = []
        for t in self._terms:
            if t.label is not None:
                fr = QTextLayout.FormatRange()
                fr.start, fr.length = self._to_qt(t.start), self._to_qt(t.end) - self._to_qt(t.start)
                fmt = QTextCharFormat()
                fmt.setForeground(LABEL_COLORS[t.label].text)
                fr.format = fmt
                formats.append(fr)
        return formats

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == event.Type.FontChange:
            self._cache.clear()
            self.updateGeometry()
        super().changeEvent(event)

    # ---- painting ---------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        card = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(UI.color("accent" if self.hasFocus() else "border"), 1))
        p.setBrush(UI.color("surface"))
        p.drawRoundedRect(card, 10, 10)
        if not self._text:
            p.setPen(UI.color("text_faint"))
            p.drawText(card, Qt.AlignCenter, self._placeholder)
            return
        for t in self._terms:
            self._paint_term(p, t)
        if self._hover and self._hover != self._selection and not self.term_for_span(*self._hover):
            for r in self.span_rects(*self._hover):
                self._box(p, r, QPen(Qt.NoPen), UI.color("surface_alt"))
        if self._selection:
            start, end = self._selection
            fill = QBrush(Qt.NoBrush) if self.term_for_span(start, end) else UI.color("accent_tint")
            for r in self.span_rects(start, end):
                self._box(p, r, QPen(Qt.NoPen), fill)
        layout, _ = self._layout(self.width())
        p.setPen(UI.color("text"))
        layout.draw(p, QPointF(self.MARGIN, self.MARGIN))
        if self._selection:
            ring = QPen(UI.color("accent"), 2.2)
            for r in self.span_rects(*self._selection):
                self._box(p, r, ring, QBrush(Qt.NoBrush), grow=2.5)

    def _paint_term(self, p: QPainter, t: TermSpan) -> None:
        if t.label is not None:  # human label: tinted fill, thin border in the label hue
            colors = LABEL_COLORS[t.label]
            pen, brush = QPen(colors.border, 1), QBrush(colors.tint)
        else:  # model only: a dashed outline says "a guess, not confirmed"
            colors = LABEL_COLORS[t.predicted or Polarity.NEUTRAL]
            pen = QPen(colors.fill, 1.4, Qt.DashLine)
            pen.setDashPattern([3.0, 2.5])
            faint = QColor(colors.tint)
            faint.setAlpha(90)
            brush = QBrush(faint)
        for r in self.span_rects(t.start, t.end):
            self._box(p, r, pen, brush)

    def _box(self, p: QPainter, r: QRectF, pen: QPen, brush: QBrush | QColor, grow: float = 0.0) -> None:
        p.setPen(pen)
        p.setBrush(brush)
        p.drawRoundedRect(r.adjusted(-self.PAD_X - grow, -self.PAD_Y - grow, self.PAD_X + grow, self.PAD_Y + grow),
                          self.RADIUS + grow, self.RADIUS + grow)

    # ---- mouse ------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.LeftButton:
            self._press, self._dragging = event.position(), False
            self.setFocus(Qt.MouseFocusReason)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self._press is not None and event.buttons() & Qt.LeftButton:
            if (pos - self._press).manhattanLength() >= QApplication.startDragDistance():
                self._dragging = True
            if self._dragging:
                span = self._drag_span(self._press, pos)
                if span:
                    self._selection = span  # live preview; the signal comes on release
                    self.update()
            return
        term = self.term_at(pos)
        offset = self.offset_at(pos)
        hover = term.span if term else (word_at(self._text, offset) if offset is not None else None)
        self.setCursor(Qt.PointingHandCursor if hover else Qt.ArrowCursor)
        if hover != self._hover:
            self._hover = hover
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.LeftButton or self._press is None:
            return super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if self._dragging:
            span = self._drag_span(press, event.position())
        else:
            term = self.term_at(press)
            offset = self.offset_at(press)
            span = term.span if term else (word_at(self._text, offset) if offset is not None else None)
        self._dragging = False
        if span:
            self._set_selection(span)  # a gesture always emits, even when it re-picks the same span

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self._hover:
            self._hover = None
            self.update()
        super().leaveEvent(event)

    def _drag_span(self, a: QPointF, b: QPointF) -> tuple[int, int] | None:
        oa, ob = self.offset_at(a, clamp=True), self.offset_at(b, clamp=True)
        if oa is None or ob is None:
            return None
        return snap_to_words(self._text, min(oa, ob), max(oa, ob) + 1)

    # ---- keyboard ---------------------------------------------------------------------------
    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002
        # Tab belongs to term cycling while there are terms; with none it moves focus as usual.
        if self._terms:
            self._cycle(+1 if next else -1)
            return True
        return super().focusNextPrevChild(next)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, shift = event.key(), bool(event.modifiers() & Qt.ShiftModifier)
        if key in (Qt.Key_Left, Qt.Key_Right) and self._text:
            span = self._step_word(forward=key == Qt.Key_Right, extend=shift)
            if span:
                self._set_selection(span)
            return
        super().keyPressEvent(event)

    def _step_word(self, forward: bool, extend: bool) -> tuple[int, int] | None:
        words = word_spans(self._text)
        if not words:
            return None
        if self._selection is None:
            return words[0] if forward else words[-1]
        start, end = self._selection
        if forward:
            nxt = next((w for w in words if w[0] >= end), None)
            return None if nxt is None else ((start, nxt[1]) if extend else nxt)
        prev = next((w for w in reversed(words) if w[1] <= start), None)
        return None if prev is None else ((prev[0], end) if extend else prev)

    # ---- internals --------------------------------------------------------------------------
    def _to_qt(self, index: int) -> int:
        return self._qt_index[index] if self._qt_index else index

    def _to_py(self, qt_index: int) -> int:
        return bisect_right(self._qt_index, qt_index) - 1 if self._qt_index else qt_index

    def _cycle(self, step: int) -> None:
        if not self._terms:
            return
        spans = [t.span for t in self._terms]
        if self._selection in spans:
            i = (spans.index(self._selection) + step) % len(spans)
        elif self._selection is None:
            i = 0 if step > 0 else len(spans) - 1
        else:  # from a free selection, go to the next term after it (or the one before it)
            s = self._selection[0]
            after = [k for k, sp in enumerate(spans) if sp[0] >= s]
            before = [k for k, sp in enumerate(spans) if sp[0] < s]
            i = (after[0] if after else 0) if step > 0 else (before[-1] if before else len(spans) - 1)
        self._set_selection(spans[i])

    def _set_selection(self, span: tuple[int, int]) -> None:
        self._selection = span
        self.setAccessibleDescription(f"selected: {self._text[span[0]:span[1]]}")  # screen readers
        self.update()
        self.spanSelected.emit(span[0], span[1])
