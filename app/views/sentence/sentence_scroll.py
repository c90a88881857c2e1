"""The sentence view in a scroll area, so that no line of a sentence is ever out of reach.

The sentence view is as tall as its wrapped text (height-for-width). In the centre column it
shares the height with the prediction, the label keys and the terms table; on a 1366x768 screen
a three-line sentence got two lines' room and its third line, with the term on it, was simply not
drawn. Here the sentence asks for its whole height (up to ``MAX_LINES`` lines); when the window is
shorter it may be given as little as ``MIN_LINES`` lines, and then it scrolls, and the selected
term (a click, Tab, or a term picked in the table) is scrolled into view.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

from app.views.sentence.sentence_view import SentenceView


class SentenceScroll(QScrollArea):
    MIN_LINES = 2  # the least room the column may leave the sentence (then it scrolls)
    MAX_LINES = 8  # longer texts (a ticket imported whole) scroll even in a tall window
    FLOOR = 96     # two lines: short sentences keep the panel below them in place

    def __init__(self, view: SentenceView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.setWidget(view)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.NoFocus)  # keys go to the sentence view
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QScrollArea { background: transparent; }")
        self._fit = (-1, -1)
        view.spanSelected.connect(self.show_span)
        view.heightChanged.connect(self.refit)

    def refit(self) -> None:
        """The room to ask for, after the sentence's height may have changed; the selection in view."""
        fit = (self._lines(self.MAX_LINES), self._lines(self.MIN_LINES))
        if fit != self._fit:
            self._fit = fit
            self.updateGeometry()
        selected = self.view.selected_span()
        if selected:
            self.show_span(*selected)
        else:
            self.verticalScrollBar().setValue(0)

    def show_span(self, start: int, end: int) -> None:
        rect = self.view.span_rect(start, end)
        if not rect.isNull():
            margin = int(self.view.MARGIN)
            self.ensureVisible(int(rect.center().x()), int(rect.center().y()), 0, int(rect.height() / 2) + margin)

    def _lines(self, lines: int) -> int:
        """The sentence's whole height at the current width, at most ``lines`` lines of it."""
        width = max(self.viewport().width(), 160)
        whole = self.view.heightForWidth(width)
        most = int(2 * self.view.MARGIN + lines * self.view.line_pitch())
        return max(min(whole, most), self.FLOOR)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(520, self._lines(self.MAX_LINES))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(160, self._lines(self.MIN_LINES))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.refit()
