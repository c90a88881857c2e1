"""Where a sentence's characters are on screen: layout, geometry and hit-testing for ``SentenceView``.

``SentenceLayout`` lays the sentence out with ``QTextLayout`` (it wraps, shapes any script, and
maps points to characters for us), once per width, in widget coordinates with the card's margin.
Every offset in the API is a Python ``str`` index, the same units as ``TermExample.start/end``;
Qt counts UTF-16 units, so an emoji before a term shifts Qt's indices: ``_to_qt`` / ``_to_py``
convert at the boundary.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Callable

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFont, QFontMetricsF, QTextCharFormat, QTextLayout, QTextLine, QTextOption

from app.theme.style import LABEL_COLORS
from app.views.sentence.suggestion_chips import SuggestionSpan, tag_height
from app.views.sentence.words import TermSpan


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


class SentenceLayout:
    """The sentence and its terms laid out per widget width; the widget hands it every new content."""

    MARGIN = 16.0      # inner padding of the card
    PAD_X, PAD_Y = 3.0, 3.0  # term box around the glyphs: small enough that neighbours never touch
    LINE_FACTOR = 1.75  # line pitch / font height: room for boxes and the focus ring between lines

    def __init__(self, font: Callable[[], QFont]) -> None:
        self._font = font  # the widget's font, read when laying out, as it changes with parent/app fonts
        self._cache: dict[int, tuple[QTextLayout, float]] = {}
        self._text = ""
        self._qt_index: list[int] = []  # Python index -> UTF-16 index; empty when they agree
        self._terms: list[TermSpan] = []
        self._suggestions: list[SuggestionSpan] = []

    def set_content(self, text: str, terms: list[TermSpan], suggestions: list[SuggestionSpan] | None = None) -> None:
        """The sentence, its terms and (None: unchanged) its suggested terms."""
        if text != self._text:
            self._text = text
            self._qt_index = _utf16_index(text)
        self._terms = terms
        if suggestions is not None:
            self._suggestions = suggestions
        self.invalidate()  # label colours are part of the layout's formats

    def invalidate(self) -> None:
        self._cache.clear()

    # ---- geometry ---------------------------------------------------------------------------
    def span_rects(self, width: int, start: int, end: int) -> list[QRectF]:
        """Glyph rectangles of ``[start, end)`` in widget coordinates, one per wrapped line."""
        layout, _ = self.layout(width)
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

    def offset_at(self, width: int, pos: QPointF, clamp: bool = False) -> int | None:
        """The character index under ``pos``; None off the text unless ``clamp`` (drags
        that leave the text keep extending to the nearest character)."""
        layout, _ = self.layout(width)
        if not self._text or layout.lineCount() == 0:
            return None
        x, y = pos.x() - self.MARGIN, pos.y() - self.MARGIN
        pitch = self.pitch()
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

    def term_at(self, width: int, pos: QPointF) -> TermSpan | None:
        """The term whose box (padding included) contains ``pos``; the shortest wins when nested."""
        return self._hit(width, pos, self._terms)  # type: ignore[return-value]

    def chip_at(self, width: int, pos: QPointF) -> TermSpan | SuggestionSpan | None:
        """The term or suggested term under ``pos`` (a click anywhere on it picks all of it)."""
        return self._hit(width, pos, [*self._terms, *self._suggestions])

    def _hit(self, width: int, pos: QPointF, spans: list) -> TermSpan | SuggestionSpan | None:
        hits = [t for t in spans
                if any(r.adjusted(-self.PAD_X, -self.PAD_Y, self.PAD_X, self.PAD_Y).contains(pos)
                       for r in self.span_rects(width, t.start, t.end))]
        return min(hits, key=lambda t: t.end - t.start) if hits else None

    # ---- layout -----------------------------------------------------------------------------
    def pitch(self) -> float:
        """One line's height: with suggestions, room under the glyphs for their tags too."""
        return self._glyph_pitch() + (round(tag_height(self._font())) if self._suggestions else 0)

    def _glyph_pitch(self) -> float:
        return round(QFontMetricsF(self._font()).height() * self.LINE_FACTOR)

    def layout(self, width: int) -> tuple[QTextLayout, float]:
        """A laid-out QTextLayout for ``width`` and the widget height it needs (cached per width)."""
        if width in self._cache:
            return self._cache[width]
        # U+2028 breaks a line inside QTextLayout (a plain "\n" would not); same length, same offsets.
        layout = QTextLayout(self._text.replace("\n", "\u2028"), self._font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.setFormats(self._label_formats())
        pitch, glyph_pitch, line_width = self.pitch(), self._glyph_pitch(), max(width - 2 * self.MARGIN, 40.0)
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(line_width)
            # Centre the glyph line in its pitch so boxes and rings get equal room above and below
            # (the suggestions' tags have their own room below that).
            line.setPosition(QPointF(0, line.lineNumber() * pitch + (glyph_pitch - line.height()) / 2))
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

    # ---- offsets ----------------------------------------------------------------------------
    def _to_qt(self, index: int) -> int:
        return self._qt_index[index] if self._qt_index else index

    def _to_py(self, qt_index: int) -> int:
        return bisect_right(self._qt_index, qt_index) - 1 if self._qt_index else qt_index
