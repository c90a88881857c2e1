"""The centre of the window: the sentence, the model's answer for the chosen term, the label keys.

Layout only: the controller fills it and listens to its signals.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout,
                               QWidget)

from app.prob_bars import ProbabilityBars
from app.sentence_view import SentenceView
from app.style import LABEL_COLORS, UI
from core.domain import LABELS, Polarity

KEYS = {Polarity.NEGATIVE: "1", Polarity.NEUTRAL: "2", Polarity.POSITIVE: "3"}


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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 14)
        outer.setSpacing(12)

        head = QHBoxLayout()
        self.position_label = QLabel("No project open")
        self.position_label.setProperty("heading", True)
        self.source_label = QLabel("")
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
        self.sentence_view.setMinimumHeight(120)
        outer.addWidget(self.sentence_view)

        term_row = QHBoxLayout()
        self.term_label = QLabel("")
        self.term_label.setProperty("heading", True)
        self.term_label.setTextFormat(Qt.PlainText)
        self.term_state = QLabel("")
        self.term_state.setProperty("muted", True)
        term_row.addWidget(self.term_label)
        term_row.addSpacing(6)
        term_row.addWidget(self.term_state, 1)
        outer.addLayout(term_row)

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

        hint = QLabel("Click a word or drag over a phrase · Tab next term · J / K next / previous sentence · "
                      "Ctrl+Z undo · F1 all shortcuts")
        hint.setProperty("muted", True)
        hint.setWordWrap(True)
        outer.addWidget(hint)
        outer.addStretch(1)

        for p, b in self.label_buttons.items():
            b.clicked.connect(self._emit_label)
        self.accept_button.clicked.connect(self.acceptClicked)
        self.clear_button.clicked.connect(self.clearClicked)
        self.prev_button.clicked.connect(self.previousClicked)
        self.next_button.clicked.connect(self.nextClicked)
        self.show_term(None)

    def _emit_label(self) -> None:
        button = self.sender()
        for p, b in self.label_buttons.items():
            if b is button:
                self.labelClicked.emit(p)

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
