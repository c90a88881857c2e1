"""The sentence widget: click a word or drag over a phrase to pick a term; known terms are coloured.

Word boundaries are pure functions in ``app.views.sentence.words`` so they are tested without Qt;
``app.views.sentence.layout`` lays the sentence out and maps points to characters. This widget keeps
the selection, paints term boxes under the text and turns mouse and keys into selections.
Every offset in the API is a Python ``str`` index, the same units as ``TermExample.start/end``.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QHelpEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QSizePolicy, QToolTip, QWidget

from app.theme.style import LABEL_COLORS, UI
from app.views.sentence.layout import SentenceLayout
from app.views.sentence.suggestion_chips import DONE_ROOM, SuggestionSpan, paint_chip, paint_done, paint_tags
from app.views.sentence.words import TermSpan, snap_to_words, word_at, word_spans
from core.domain import Polarity

# Callers and tests import the word helpers, TermSpan and SuggestionSpan from here.
__all__ = ["SentenceView", "SuggestionSpan", "TermSpan", "snap_to_words", "word_at", "word_spans"]


class SentenceView(QWidget):
    """One sentence, wrapped, with its terms drawn as rounded boxes.

    Mouse: click = the word under the pointer (or the existing or suggested term), drag = the
    phrase from the word under press to the word under release. Keyboard: Tab / Shift+Tab cycle
    the terms and suggested terms in text order, Left / Right step word by word, Shift+Left /
    Shift+Right grow the phrase. Suggested terms are dashed chips with a tag (``suggestion_chips``).
    """

    spanSelected = Signal(int, int)
    edgeReached = Signal(int)  # Tab past the last term (+1) or Shift+Tab before the first (-1), when not wrapping
    heightChanged = Signal()  # the text, its chips or the done mark changed: heightForWidth may differ

    # The card's margin and the boxes' padding are geometry: hit-testing uses them too.
    MARGIN, PAD_X, PAD_Y = SentenceLayout.MARGIN, SentenceLayout.PAD_X, SentenceLayout.PAD_Y
    RADIUS = 5.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._geo = SentenceLayout(self.font)  # before setFont: changeEvent reads it
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
        self._terms: list[TermSpan] = []
        self._suggestions: list[SuggestionSpan] = []
        self._done = False  # "all terms done": a check pill in the card's bottom corner
        self._selection: tuple[int, int] | None = None
        self._wrap = True
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
            self._suggestions = []  # they belong to the old text
        self._terms = sorted((t for t in terms if 0 <= t.start < t.end <= len(text)), key=lambda t: (t.start, t.end))
        self._drop_suggested_terms()
        self._geo.set_content(text, self._terms, self._suggestions)
        self._geometry_changed()
        self.update()

    def set_suggestions(self, suggestions: Sequence[SuggestionSpan]) -> None:
        """Show the sentence's suggested terms (a span that is a term already is left out)."""
        fresh = sorted((s for s in suggestions if 0 <= s.start < s.end <= len(self._text)), key=lambda s: s.span)
        if fresh == self._suggestions:
            return
        self._suggestions = fresh
        self._drop_suggested_terms()
        self._geo.set_content(self._text, self._terms, self._suggestions)
        self._geometry_changed()
        self.update()

    def _drop_suggested_terms(self) -> None:
        spans = {t.span for t in self._terms}
        self._suggestions = [s for s in self._suggestions if s.span not in spans]

    def set_done(self, done: bool) -> None:
        if done != self._done:
            self._done = done
            self._geometry_changed()
            self.update()

    def is_done(self) -> bool:
        return self._done

    def suggestions(self) -> list[SuggestionSpan]:
        return list(self._suggestions)

    def suggestion_for_span(self, start: int, end: int) -> SuggestionSpan | None:
        return next((s for s in self._suggestions if s.span == (start, end)), None)

    def selected_suggestion(self) -> SuggestionSpan | None:
        """The suggested term that is selected (the current suggestion), if the selection is one."""
        return self.suggestion_for_span(*self._selection) if self._selection else None

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

    def set_wrap(self, wrap: bool) -> None:
        """Wrap Tab around the terms (default), or announce ``edgeReached`` at the ends instead
        (the app goes on to the next sentence there)."""
        self._wrap = wrap

    # ---- geometry ---------------------------------------------------------------------------
    def span_rects(self, start: int, end: int) -> list[QRectF]:
        """Glyph rectangles of ``[start, end)`` in widget coordinates, one per wrapped line."""
        return self._geo.span_rects(self.width(), start, end)

    def span_rect(self, start: int, end: int) -> QRectF:
        """Bounding rectangle of ``span_rects`` (empty QRectF when the span is not visible)."""
        out = QRectF()
        for r in self.span_rects(start, end):
            out = r if out.isNull() else out.united(r)
        return out

    def offset_at(self, pos: QPointF, clamp: bool = False) -> int | None:
        """The character index under ``pos``; None off the text unless ``clamp`` (drags
        that leave the text keep extending to the nearest character)."""
        return self._geo.offset_at(self.width(), pos, clamp)

    def term_at(self, pos: QPointF) -> TermSpan | None:
        """The term whose box (padding included) contains ``pos``; the shortest wins when nested."""
        return self._geo.term_at(self.width(), pos)

    def chip_at(self, pos: QPointF) -> TermSpan | SuggestionSpan | None:
        """The term or suggested term under ``pos``: what a click there picks, whole."""
        return self._geo.chip_at(self.width(), pos)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.ToolTip and isinstance(event, QHelpEvent):
            chip = self.chip_at(QPointF(event.pos()))
            if isinstance(chip, SuggestionSpan):
                QToolTip.showText(event.globalPos(), chip.tooltip(self._text), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return int(self._geo.layout(width)[1] + (DONE_ROOM if self._done else 0) + 0.999)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(520, self.heightForWidth(520))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(160, int(2 * self.MARGIN + self._geo.pitch()))

    def line_pitch(self) -> float:
        """One wrapped line's height (more with suggestion tags under the words)."""
        return self._geo.pitch()

    def _geometry_changed(self) -> None:
        self.updateGeometry()
        self.heightChanged.emit()

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == event.Type.FontChange:
            self._geo.invalidate()
            self._geometry_changed()
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
        self._paint_suggestions(p)
        if self._done:
            paint_done(p, card, self.font())
        layout, _ = self._geo.layout(self.width())
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

    def _paint_suggestions(self, p: QPainter) -> None:
        placed: list[tuple[SuggestionSpan, QRectF]] = []
        for s in self._suggestions:
            rects = self.span_rects(s.start, s.end)
            paint_chip(p, rects, s, (self.PAD_X, self.PAD_Y), self.RADIUS, current=s.span == self._selection)
            if rects:
                placed.append((s, rects[0]))
        paint_tags(p, placed, self.font(), self.PAD_Y, self.width() - 4.0)

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
        chip = self.chip_at(pos)
        offset = self.offset_at(pos)
        hover = chip.span if chip else (word_at(self._text, offset) if offset is not None else None)
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
            chip = self.chip_at(press)  # a word of a suggested term picks the whole suggestion
            offset = self.offset_at(press)
            span = chip.span if chip else (word_at(self._text, offset) if offset is not None else None)
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
        # Tab belongs to term cycling while there are terms or suggestions; with none it moves focus as usual.
        if self._terms or self._suggestions:
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
    def _cycle(self, step: int) -> None:
        spans = sorted({t.span for t in self._terms} | {s.span for s in self._suggestions})  # text order
        if not spans:
            return
        if self._selection in spans:
            i = spans.index(self._selection) + step
            if not self._wrap and not 0 <= i < len(spans):
                self.edgeReached.emit(step)
                return
            i %= len(spans)
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
