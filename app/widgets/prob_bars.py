"""The model's answer for the selected term: a headline, three probability bars, and your label.

Painted by hand (no child widgets) so it stays crisp at any size and costs nothing to update
on every click. Three states: a prediction, "loading model…" (skeleton bars), and empty.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.theme.style import LABEL_COLORS, UI
from core.domain import LABELS, Polarity, Prediction


def format_percent(p: float) -> str:
    """``0.934 -> "93 %"``; tiny non-zero values read "<1 %" rather than a misleading "0 %"."""
    pct = float(p) * 100
    if 0 < pct < 0.5:
        return "<1 %"
    return f"{pct:.0f} %"


def headline_for(pred: Prediction) -> str:
    return f"{pred.label.value.capitalize()} · {format_percent(pred.probabilities[pred.label.index])}"


class ProbabilityBars(QWidget):
    """``set_prediction(pred, human)`` shows a prediction; ``show_loading`` / ``show_empty`` the states."""

    PAD = 14.0
    ROW = 26.0
    BAR_H = 10.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self._pred: Prediction | None = None
        self._human: Polarity | None = None
        self._owner = "You"  # whose label ``_human`` is: "You", another annotator's name, "Imported"
        self._mode = "empty"  # "empty" | "loading" | "prediction"
        self._title = "No term selected"
        self._hint = "Click a word or drag over a phrase"
        self._sync_accessible()

    # ---- public API -------------------------------------------------------------------------
    def set_prediction(self, pred: Prediction | None, human: Polarity | None = None, owner: str = "You") -> None:
        """Show ``pred`` (None: no prediction yet) and the current label ``human`` if any, given by
        ``owner`` ("You", or in a team project the annotator's name)."""
        self._pred, self._human, self._owner = pred, human, owner
        if pred is None and human is None:
            self._mode, self._title, self._hint = "empty", "No term selected", "Click a word or drag over a phrase"
        elif pred is None:
            self._mode, self._title, self._hint = "empty", "No prediction yet", "The model has not scored this term"
        else:
            self._mode = "prediction"
        self._sync_accessible()
        self.update()

    def show_loading(self, message: str = "Loading model…", human: Polarity | None = None, owner: str = "You") -> None:
        """Skeleton bars while the model loads, with the chosen term's own label (``human`` by
        ``owner``): never the label of the term shown before."""
        self._pred, self._human, self._owner = None, human, owner
        self._mode, self._title, self._hint = "loading", message, ""
        self._sync_accessible()
        self.update()

    def show_empty(self, title: str = "No term selected", hint: str = "Click a word or drag over a phrase") -> None:
        self._pred, self._human, self._mode, self._title, self._hint = None, None, "empty", title, hint
        self._sync_accessible()
        self.update()

    def prediction(self) -> Prediction | None:
        return self._pred

    def headline_text(self) -> str:
        """What the headline says now: "Positive · 93 %", "Loading model…", "No term selected"."""
        return headline_for(self._pred) if self._mode == "prediction" and self._pred else self._title

    def human_text(self) -> str:
        """"You: negative", "bob: negative" (empty string when the term has no label)."""
        return f"{self._owner}: {self._human.value}" if self._human else ""

    def disagrees(self) -> bool:
        return bool(self._pred and self._human and self._pred.label != self._human)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(340, int(2 * self.PAD + 52 + 3 * self.ROW))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(220, self.sizeHint().height())

    # ---- painting ---------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        card = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(UI.color("border"), 1))
        p.setBrush(UI.color("surface"))
        p.drawRoundedRect(card, 10, 10)
        inner = card.adjusted(self.PAD, self.PAD - 2, -self.PAD, -self.PAD)
        if self._mode == "prediction" and self._pred is not None:
            self._paint_prediction(p, inner, self._pred)
        elif self._mode == "loading":
            self._paint_loading(p, inner)
        else:
            self._paint_empty(p, inner)

    def _fonts(self) -> tuple[QFont, QFont, QFont]:
        base = QFont(self.font())
        head = QFont(base)
        head.setPointSizeF(base.pointSizeF() * 1.45)
        head.setWeight(QFont.DemiBold)
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.92)
        return base, head, small

    def _paint_prediction(self, p: QPainter, r: QRectF, pred: Prediction) -> None:
        base, head, small = self._fonts()
        colors = LABEL_COLORS[pred.label]
        name = pred.label.value.capitalize()
        pct = f" · {format_percent(pred.probabilities[pred.label.index])}"
        p.setFont(head)
        fm = QFontMetricsF(head)
        top = QRectF(r.left(), r.top(), r.width(), fm.height())
        p.setPen(colors.text)
        p.drawText(top, Qt.AlignLeft | Qt.AlignVCenter, name)
        p.setPen(UI.color("text"))
        p.drawText(top.adjusted(fm.horizontalAdvance(name), 0, 0, 0), Qt.AlignLeft | Qt.AlignVCenter, pct)
        caption = self._head_extras(p, top, fm.horizontalAdvance(name + pct), "model prediction",
                                    UI.color("text_muted"), small)
        self._paint_bars(p, QRectF(r.left(), caption.bottom() + 10, r.width(), 3 * self.ROW), pred, base)

    def _head_extras(self, p: QPainter, top: QRectF, head_w: float, caption_text: str, caption_color: QColor,
                     small: QFont) -> QRectF:
        """The caption under the headline and the "You: ..." pill: beside the headline when it
        fits, else on the caption row (the caption gives way if even that is too tight)."""
        caption = QRectF(top.left(), top.bottom() + 1, top.width(), QFontMetricsF(small).height())
        caption_w = QFontMetricsF(small).horizontalAdvance(caption_text)
        show_caption = True
        if self._human is not None:
            pill_w = self._human_width(small)
            if head_w + pill_w + 12 <= top.width():
                self._paint_human(p, top, small)
            else:
                self._paint_human(p, caption.adjusted(0, 2, 0, 2), small)
                show_caption = caption_w + pill_w + 12 <= caption.width()
        if show_caption:
            p.setFont(small)
            p.setPen(caption_color)
            p.drawText(caption, Qt.AlignLeft | Qt.AlignVCenter, caption_text)
        return caption

    def _human_width(self, font: QFont) -> float:
        bold = QFont(font)
        bold.setWeight(QFont.DemiBold)
        fm = QFontMetricsF(bold)
        badge = fm.height() + 4 + 6 if self.disagrees() else 0.0
        return fm.horizontalAdvance(self.human_text()) + 20 + badge

    def _paint_human(self, p: QPainter, head_row: QRectF, font: QFont) -> None:
        """A pill "You: negative" at the right of the headline, with an amber "!" when the model disagrees."""
        assert self._human is not None
        colors = LABEL_COLORS[self._human]
        bold = QFont(font)
        bold.setWeight(QFont.DemiBold)
        fm = QFontMetricsF(bold)
        text = self.human_text()
        w, h = fm.horizontalAdvance(text) + 20, fm.height() + 8
        right = head_row.right()
        if self.disagrees():
            d = h - 4
            badge = QRectF(right - d, head_row.center().y() - d / 2, d, d)
            p.setPen(Qt.NoPen)
            p.setBrush(UI.color("warning"))
            p.drawEllipse(badge)
            p.setPen(QColor("white"))
            p.setFont(bold)
            p.drawText(badge, Qt.AlignCenter, "!")
            right = badge.left() - 6
        pill = QRectF(right - w, head_row.center().y() - h / 2, w, h)
        p.setPen(QPen(colors.border, 1))
        p.setBrush(colors.tint)
        p.drawRoundedRect(pill, h / 2, h / 2)
        p.setPen(colors.text)
        p.setFont(bold)
        p.drawText(pill, Qt.AlignCenter, text)

    def _paint_bars(self, p: QPainter, r: QRectF, pred: Prediction | None, font: QFont) -> None:
        """Three rows: label name, rounded track with the fill, percentage right-aligned.
        ``pred`` None draws grey skeleton bars (the loading state)."""
        bold = QFont(font)
        bold.setWeight(QFont.DemiBold)
        name_w = max(QFontMetricsF(bold).horizontalAdvance(l.value.capitalize()) for l in LABELS) + 12
        pct_w = QFontMetricsF(bold).horizontalAdvance("100 %") + 10
        for i, label in enumerate(LABELS):
            row = QRectF(r.left(), r.top() + i * self.ROW, r.width(), self.ROW)
            win = pred is not None and label == pred.label
            colors = LABEL_COLORS[label]
            p.setFont(bold if win else font)
            p.setPen(colors.text if win else UI.color("text_muted"))
            p.drawText(QRectF(row.left(), row.top(), name_w, row.height()), Qt.AlignLeft | Qt.AlignVCenter,
                       label.value.capitalize())
            track = QRectF(row.left() + name_w, row.center().y() - self.BAR_H / 2,
                           max(row.width() - name_w - pct_w, 10), self.BAR_H)
            p.setPen(Qt.NoPen)
            p.setBrush(UI.color("surface_alt"))
            p.drawRoundedRect(track, self.BAR_H / 2, self.BAR_H / 2)
            if pred is None:
                continue
            prob = min(max(float(pred.probabilities[label.index]), 0.0), 1.0)
            fill_color = QColor(colors.fill)
            if not win:
                fill_color.setAlpha(120)  # losers recede; the winner reads first
            if prob > 0:
                fill = QRectF(track.left(), track.top(), max(track.width() * prob, self.BAR_H), self.BAR_H)
                p.setBrush(fill_color)
                p.drawRoundedRect(fill, self.BAR_H / 2, self.BAR_H / 2)
            p.setPen(UI.color("text") if win else UI.color("text_muted"))
            p.drawText(QRectF(track.right(), row.top(), pct_w, row.height()), Qt.AlignRight | Qt.AlignVCenter,
                       format_percent(prob))

    def _paint_loading(self, p: QPainter, r: QRectF) -> None:
        base, head, small = self._fonts()
        fm = QFontMetricsF(head)
        top = QRectF(r.left(), r.top(), r.width(), fm.height())
        p.setFont(head)
        p.setPen(UI.color("text_muted"))
        p.drawText(top, Qt.AlignLeft | Qt.AlignVCenter, self._title)
        caption = self._head_extras(p, top, fm.horizontalAdvance(self._title), "labeling works meanwhile",
                                    UI.color("text_faint"), small)
        self._paint_bars(p, QRectF(r.left(), caption.bottom() + 10, r.width(), 3 * self.ROW), None, base)

    def _paint_empty(self, p: QPainter, r: QRectF) -> None:
        base, head, small = self._fonts()
        title_font = QFont(base)
        title_font.setPointSizeF(base.pointSizeF() * 1.2)
        title_font.setWeight(QFont.DemiBold)
        th, sh = QFontMetricsF(title_font).height(), QFontMetricsF(small).height()
        block = th + (sh + 4 if self._hint else 0)
        y = r.center().y() - block / 2
        if self._human is not None:
            self._paint_human(p, QRectF(r.left(), r.top(), r.width(), QFontMetricsF(head).height()), small)
        p.setFont(title_font)
        p.setPen(UI.color("text_muted"))
        p.drawText(QRectF(r.left(), y, r.width(), th), Qt.AlignCenter, self._title)
        if self._hint:
            p.setFont(small)
            p.setPen(UI.color("text_faint"))
            p.drawText(QRectF(r.left(), y + th + 4, r.width(), sh), Qt.AlignCenter, self._hint)

    def _sync_accessible(self) -> None:
        """Screen readers get the same words the widget paints."""
        parts = [self.headline_text(), self.human_text()]
        if self.disagrees():
            parts.append("the model disagrees")
        self.setAccessibleName("Model prediction")
        self.setAccessibleDescription(", ".join(x for x in parts if x))
        self.setToolTip("The model disagrees with your label" if self.disagrees() else "")
