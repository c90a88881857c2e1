"""The centre of the window: the sentence, the model's answer for the chosen term, the label keys.

Layout only: the controller fills it through the small methods below and listens to its
signals; it never reaches into the sentence view or the bars itself.
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QKeyEvent
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSizePolicy,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.theme.style import LABEL_COLORS, UI
from app.views.sentence.sentence_scroll import SentenceScroll
from app.views.sentence.sentence_view import SentenceView, SuggestionSpan
from app.views.sentence.words import TermSpan
from app.widgets.annotator_strip import AnnotatorStrip
from app.widgets.elided_label import ElidedLabel
from app.widgets.prob_bars import ProbabilityBars
from core.domain import LABELS, Polarity, Prediction

KEYS = {Polarity.NEGATIVE: "1", Polarity.NEUTRAL: "2", Polarity.POSITIVE: "3"}
MIN_TABLE_ROWS = 1
SUGGESTION_HINT = "<b>A</b> accept · <b>X</b> reject · <b>Shift+A</b> accept all"


def _label_button_sheet(p: Polarity) -> str:
    c = LABEL_COLORS[p]
    return (f"QPushButton {{ background: {UI.surface}; color: {c.text.name()}; border: 1px solid {c.border.name()};"
            f" border-radius: 8px; padding: 10px 12px; font-weight: 600; }}"
            f"QPushButton:hover {{ background: {c.tint.name()}; }}"
            f"QPushButton:checked {{ background: {c.fill.name()}; color: white; border-color: {c.fill.name()}; }}"
            f"QPushButton:disabled {{ color: {UI.text_faint}; border-color: {UI.border}; background: {UI.surface_alt}; }}")


class TermPanel(QWidget):
    labelClicked = Signal(object)  # Polarity
    acceptClicked = Signal()
    clearClicked = Signal()
    previousClicked = Signal()
    nextClicked = Signal()
    termClicked = Signal(int, int)  # a row of the terms table: (start, end)
    spanSelected = Signal(int, int)  # a term picked in the sentence (click, drag, Tab)
    sentenceStep = Signal(int)       # ↓ / ↑ in the sentence (+1 / -1): the next / previous sentence
    termsEnded = Signal(int)         # Tab past the last term (+1), Shift+Tab before the first (-1)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 10, 18, 10)
        outer.setSpacing(8)  # 1366x768: the whole column, a long sentence included, fits the screen

        head = QHBoxLayout()
        self.position_label = QLabel("No project open")
        self.position_label.setProperty("heading", True)
        self.source_label = ElidedLabel("")
        self.source_label.setProperty("muted", True)
        self.prev_button = QPushButton("◀  Previous")
        self.next_button = QPushButton("Next  ▶")
        for b, tip in ((self.prev_button, "Previous sentence (K or ↑)"), (self.next_button, "Next sentence (J or ↓)")):
            b.setProperty("flat", True)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.NoFocus)
        head.addWidget(self.position_label)
        head.addSpacing(8)
        head.addWidget(self.source_label, 1)
        head.addWidget(self.prev_button)
        head.addWidget(self.next_button)
        outer.addLayout(head)

        self.sentence_view = SentenceView()
        self.sentence_view.set_wrap(False)  # Tab at the last term goes on to the next sentence
        self.sentence_scroll = SentenceScroll(self.sentence_view)  # a long sentence scrolls, never clips
        outer.addWidget(self.sentence_scroll)

        term_row = QHBoxLayout()
        self.term_label = QLabel("")
        self.term_label.setProperty("heading", True)
        self.term_label.setTextFormat(Qt.PlainText)
        self.term_state = QLabel("")
        self.term_state.setProperty("muted", True)
        self.suggestion_hint = QLabel(SUGGESTION_HINT)  # shown while a suggested term is the current one
        self.suggestion_hint.setTextFormat(Qt.RichText)
        self.suggestion_hint.setStyleSheet(f"QLabel {{ color: {UI.accent_pressed}; background: {UI.accent_tint};"
                                           " border-radius: 9px; padding: 2px 8px; }")
        self.suggestion_hint.hide()
        self.term_state.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # a long term clips it, not the hint
        term_row.addWidget(self.term_label)
        term_row.addSpacing(6)
        term_row.addWidget(self.term_state, 1)
        term_row.addWidget(self.suggestion_hint)
        outer.addLayout(term_row)
        self.annotators = AnnotatorStrip()  # team review: each annotator's label of the term
        outer.addWidget(self.annotators)

        self.bars = ProbabilityBars()
        outer.addWidget(self.bars)

        keys = QHBoxLayout()
        keys.setSpacing(8)
        self.label_buttons: dict[Polarity, QPushButton] = {}
        for p in LABELS:
            b = QPushButton(f"{p.value.capitalize()}   {KEYS[p]}")
            b.setCheckable(True)
            b.setFocusPolicy(Qt.NoFocus)
            b.setStyleSheet(_label_button_sheet(p))
            b.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
            b.setToolTip(f"Label the term {p.value} (key {KEYS[p]})")
            b.setAccessibleName(f"Label {p.value}")
            self.label_buttons[p] = b
            keys.addWidget(b)
        outer.addLayout(keys)

        actions = QHBoxLayout()
        self.accept_button = QPushButton("Accept model's label   ↵")
        self.accept_button.setProperty("primary", True)
        self.accept_button.setToolTip("Store the model's label as yours (Enter)")
        self.clear_button = QPushButton("Clear label   Del")
        self.clear_button.setToolTip("Remove your label from the term (Delete)")
        for b in (self.accept_button, self.clear_button):
            b.setFocusPolicy(Qt.NoFocus)
        actions.addWidget(self.accept_button, 2)
        actions.addWidget(self.clear_button, 1)
        outer.addLayout(actions)

        self.terms_table = QTableWidget(0, 3)
        # The table's header is its title (a title line above it cost a row on a 768-pixel screen).
        self.terms_table.setHorizontalHeaderLabels(("Terms in this sentence", "Label", "Model"))
        self.terms_table.verticalHeader().setVisible(False)
        self.terms_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.terms_table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.terms_table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.terms_table.setFocusPolicy(Qt.NoFocus)
        self.terms_table.setShowGrid(False)
        self.terms_table.setAccessibleName("Terms in this sentence")
        header = self.terms_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        self.terms_table.setVerticalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        outer.addWidget(self.terms_table)

        # One line (a wrapped hint took two of the few lines a 768-pixel screen leaves); F1 first, as
        # the end is what a narrow column cuts off ("…", the whole hint in the tooltip).
        hint = ElidedLabel("F1 all keys · Click a word or drag a phrase · Tab next term · J / K next sentence")
        hint.setProperty("muted", True)
        outer.addWidget(hint)
        outer.addStretch(1)
        self._term_spans: list[tuple[int, int]] = []
        self.terms_table.cellClicked.connect(self._emit_term)

        for p, b in self.label_buttons.items():
            b.clicked.connect(self._emit_label)
        self.accept_button.clicked.connect(self.acceptClicked)
        self.clear_button.clicked.connect(self.clearClicked)
        self.prev_button.clicked.connect(self.previousClicked)
        self.next_button.clicked.connect(self.nextClicked)
        self.sentence_view.spanSelected.connect(self.spanSelected)
        self.sentence_view.edgeReached.connect(self.termsEnded)
        self.sentence_view.installEventFilter(self)
        self.show_term(None)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if (obj is self.sentence_view and event.type() == QEvent.KeyPress and isinstance(event, QKeyEvent)
                and not event.modifiers() and event.key() in (Qt.Key_Down, Qt.Key_Up)):
            self.sentenceStep.emit(+1 if event.key() == Qt.Key_Down else -1)
            return True
        return False

    # ---- the sentence ------------------------------------------------------------------------
    def show_sentence(self, text: str, spans: Sequence[TermSpan] = (), placeholder: str = "") -> None:
        """Show a sentence with its known terms; no text shows ``placeholder`` instead."""
        self.sentence_view.set_sentence(text, spans)
        if not text and placeholder:
            self.sentence_view.set_placeholder(placeholder)

    def select_span(self, start: int, end: int) -> bool:
        """Pick ``[start, end)``; False when it was picked already (no ``spanSelected`` then)."""
        if self.sentence_view.selected_span() == (start, end):
            return False
        self.sentence_view.select_span(start, end)
        return True

    def clear_selection(self) -> None:
        self.sentence_view.clear_selection()

    def step_term(self, step: int) -> None:
        """The next (+1) or previous (-1) term, as Tab / Shift+Tab do."""
        if step > 0:
            self.sentence_view.select_next_term()
        else:
            self.sentence_view.select_previous_term()

    # ---- suggested terms ------------------------------------------------------------------------
    def show_suggestions(self, spans: Sequence[SuggestionSpan]) -> None:
        """The sentence's open suggested terms, drawn as dashed chips."""
        self.sentence_view.set_suggestions(spans)

    def selected_suggestion(self) -> SuggestionSpan | None:
        return self.sentence_view.selected_suggestion()

    def show_suggestion(self, s: SuggestionSpan | None) -> None:
        """Say that the chosen span is a suggested term and what the keys do (None: it is not one)."""
        self.suggestion_hint.setVisible(s is not None)
        if s is None:
            self.term_state.setToolTip("")
            return
        if s.predicted is None:
            self.term_state.setText("suggested term")
        else:  # what the model predicted when it was suggested (the bars: the model now)
            color = LABEL_COLORS[s.predicted].text.name()
            self.term_state.setText(f"<span style='color:{color}; font-weight:600'>{s.tag}</span>")
        self.term_state.setToolTip(s.tooltip(self.sentence_view.text()))

    def show_done(self, done: bool) -> None:
        """The "all terms done" check on the sentence's card."""
        self.sentence_view.set_done(done)

    def focus_sentence(self) -> None:
        self.sentence_view.setFocus(Qt.OtherFocusReason)

    # ---- the model's answer --------------------------------------------------------------------
    def show_prediction(self, pred: Prediction | None, human: Polarity | None, owner: str) -> None:
        self.bars.set_prediction(pred, human, owner)
        self.accept_button.setEnabled(pred is not None and self.term_label.text() != "")

    def show_loading(self, message: str, human: Polarity | None, owner: str) -> None:
        self.bars.show_loading(message, human, owner)

    def show_empty(self, title: str = "No term selected", hint: str = "Click a word or drag over a phrase") -> None:
        self.bars.show_empty(title, hint)

    def prediction(self) -> Prediction | None:
        """The prediction shown (what Enter accepts)."""
        return self.bars.prediction()

    def _emit_label(self) -> None:
        button = self.sender()
        for p, b in self.label_buttons.items():
            if b is button:
                self.labelClicked.emit(p)

    def _emit_term(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._term_spans):
            self.termClicked.emit(*self._term_spans[row])

    # ---- filling -----------------------------------------------------------------------------
    def show_position(self, text: str, source: str = "") -> None:
        self.position_label.setText(text)
        self.source_label.setText(source)

    def show_term(self, term: str | None, state: str = "", human: Polarity | None = None,
                  can_accept: bool = False) -> None:
        """The chosen term's text, a word on where its label comes from, and the key states."""
        if term is None:
            self.term_label.setText("")
            self.term_state.setText("")
        else:
            self.term_label.setText(f"“{term}”")
            self.term_state.setText(state)
        for p, b in self.label_buttons.items():
            b.setEnabled(term is not None)
            b.setChecked(human == p)
        self.accept_button.setEnabled(term is not None and can_accept)
        self.clear_button.setEnabled(human is not None)

    def show_review(self, labels: Sequence[tuple[str, Polarity | None]], final: Polarity | None = None,
                    adjudicated_by: str | None = None, hint: str = "") -> None:
        """Each annotator's label of the chosen term and the verdict (fewer than two and none: hidden)."""
        self.annotators.set_review(labels, final, adjudicated_by, hint)

    def show_terms(self, terms: Sequence[Any], selected: tuple[int, int] | None) -> None:
        """One row per term of the sentence (``TermRecord``s): its text, your label, the model's."""
        self._term_spans = [(t.start, t.end) for t in terms]
        table = self.terms_table
        table.setRowCount(len(terms))
        for r, t in enumerate(terms):
            label = QTableWidgetItem(t.label.value if t.label else "—")
            if t.label is not None:
                label.setForeground(QBrush(LABEL_COLORS[t.label].text))
                label.setBackground(QBrush(LABEL_COLORS[t.label].tint))
            model = QTableWidgetItem(f"{t.predicted.value} {t.confidence * 100:.0f} %" if t.predicted is not None
                                     and t.confidence is not None else "—")
            if t.predicted is not None:
                model.setForeground(QBrush(LABEL_COLORS[t.predicted].text))
            for c, item in enumerate((QTableWidgetItem(t.text), label, model)):
                table.setItem(r, c, item)
        rows = max(len(terms), 1)
        row_h = table.verticalHeader().defaultSectionSize()
        head = table.horizontalHeader().sizeHint().height() + 4
        # room for four terms without scrolling (most sentences have fewer); more scroll, up to six shown
        table.setMinimumHeight(head + min(rows, MIN_TABLE_ROWS) * row_h + 2)
        table.setMaximumHeight(head + min(rows, 6) * row_h + 2)
        table.clearSelection()
        if selected in self._term_spans:
            table.selectRow(self._term_spans.index(selected))
