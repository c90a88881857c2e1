"""Suggested terms in the sentence: what a chip says and how it is drawn.

A suggestion is a span the term extractor proposes; it is not a term until the person accepts
it. So it must never look like one: a term is a box with a tinted fill (labeled) or a short-dash
outline (the model's label only); a suggestion is a long-dash outline on white in the colour of
its predicted polarity, with a small tag under it ("pos 91%") saying what the model would label it.
``SentenceLayout`` leaves room under each line for the tags when a sentence has suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen

from app.theme.style import LABEL_COLORS, UI
from core.domain import Polarity

SHORT = {Polarity.NEGATIVE: "neg", Polarity.NEUTRAL: "neu", Polarity.POSITIVE: "pos"}
TAG_POINT_SIZE = 8.0
DONE_ROOM = 12.0  # the card grows by this when it shows the "all terms done" pill
DONE_TEXT = "✓ All terms done"
TAG_GAP = 5.0  # between the chip's box and its tag: clear of the focus ring


@dataclass(frozen=True)
class SuggestionSpan:
    """A suggested span of the shown sentence with the polarity model's guess for it."""

    start: int
    end: int
    predicted: Polarity | None = None
    confidence: float | None = None   # the model's probability of ``predicted``
    suggestion_id: int | None = None
    score: float = 1.0                # the extractor's confidence in the span

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end

    @property
    def tag(self) -> str:
        """The chip's small tag: "pos 91%", or "new?" when no polarity model was there to ask."""
        if self.predicted is None:
            return "new?"
        pct = f" {self.confidence * 100:.0f}%" if self.confidence is not None else ""
        return SHORT[self.predicted] + pct

    def tooltip(self, text: str) -> str:
        what = text[self.start:self.end]
        guess = (f"the model says {self.predicted.value}"
                 + (f" ({self.confidence * 100:.0f} %)" if self.confidence is not None else "")
                 if self.predicted is not None else "no polarity predicted yet")
        return (f"Suggested term “{what}” (extractor {self.score * 100:.0f} %): {guess}\n"
                "A accept · X reject · Shift+A accept all")


def tag_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setPointSizeF(TAG_POINT_SIZE)
    font.setWeight(QFont.DemiBold)
    return font


def tag_height(base: QFont) -> float:
    """The room a tag takes under its chip (the layout adds it to each line's pitch)."""
    return TAG_GAP + QFontMetricsF(tag_font(base)).height() + 4.0


def _hue(s: SuggestionSpan) -> tuple[QColor, QColor, QColor]:
    """(outline, tag fill, tag text) in the predicted polarity's colours; grey without one."""
    if s.predicted is None:
        return UI.color("border_strong"), UI.color("surface_alt"), UI.color("text_muted")
    c = LABEL_COLORS[s.predicted]
    return c.fill, c.tint, c.text


def paint_chip(p: QPainter, rects: list[QRectF], s: SuggestionSpan, pad: tuple[float, float], radius: float,
               current: bool) -> None:
    """The dashed outline of ``s`` (one box per wrapped line); heavier when it is the current one."""
    outline, _, _ = _hue(s)
    pen = QPen(outline, 2.0 if current else 1.5, Qt.CustomDashLine)
    pen.setDashPattern([4.0, 2.5])
    pen.setCapStyle(Qt.RoundCap)
    p.setPen(pen)
    p.setBrush(QBrush(Qt.NoBrush))
    for r in rects:
        p.drawRoundedRect(r.adjusted(-pad[0], -pad[1], pad[0], pad[1]), radius, radius)


def paint_tags(p: QPainter, placed: list[tuple[SuggestionSpan, QRectF]], base: QFont, pad_y: float,
               right: float) -> None:
    """Each suggestion's tag under the first box of its chip, left-aligned with it; a tag that
    would run into the previous one on its line moves right (short words side by side)."""
    font = tag_font(base)
    fm = QFontMetricsF(font)
    p.setFont(font)
    last_right: dict[float, float] = {}
    for s, box in placed:
        w, h = fm.horizontalAdvance(s.tag) + 10.0, fm.height() + 2.0
        y = box.bottom() + pad_y + TAG_GAP
        x = max(box.left() - 2.0, last_right.get(box.top(), -1e9) + 3.0)
        x = min(x, right - w)
        last_right[box.top()] = x + w
        _, fill, text = _hue(s)
        pill = QRectF(x, y, w, h)
        p.setPen(QPen(fill.darker(108), 1))
        p.setBrush(fill)
        p.drawRoundedRect(pill, h / 2, h / 2)
        p.setPen(text)
        p.drawText(pill, Qt.AlignCenter, s.tag)


def paint_done(p: QPainter, card: QRectF, base: QFont) -> None:
    """The "all terms done" pill in the card's bottom-right corner (the card has grown to fit it)."""
    font = tag_font(base)
    fm = QFontMetricsF(font)
    green = LABEL_COLORS[Polarity.POSITIVE]
    w, h = fm.horizontalAdvance(DONE_TEXT) + 16.0, fm.height() + 4.0
    pill = QRectF(card.right() - 10.0 - w, card.bottom() - 7.0 - h, w, h)
    p.setFont(font)
    p.setPen(QPen(green.border, 1))
    p.setBrush(green.tint)
    p.drawRoundedRect(pill, h / 2, h / 2)
    p.setPen(green.text)
    p.drawText(pill, Qt.AlignCenter, DONE_TEXT)
    p.setFont(base)
