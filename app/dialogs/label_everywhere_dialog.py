""""Label every occurrence": a term string, how many sentences hold it, and the terms it would add.

The dialog only asks: it says ``previewRequested(text)`` when the string settles, shows the
answer the controller hands back (``show_preview``), and on OK the controller writes. It opens
window-modal without blocking (``open``), so the preview's worker answers while it is up.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from core.domain import LABELS, Polarity

PREVIEW_DELAY_MS = 300  # after the last key: one count per pause, not per letter


class LabelEverywhereDialog(QDialog):
    previewRequested = Signal(str)

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Label every occurrence")
        self.setMinimumWidth(460)
        lay = QVBoxLayout(self)
        intro = QLabel("Add this string as a term wherever it appears as a whole word (any case).")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.text_edit = QLineEdit(text.strip())
        self.text_edit.setPlaceholderText("a word or phrase, e.g. battery life")
        form.addRow("Term", self.text_edit)
        self.polarity_combo = QComboBox()
        self.polarity_combo.addItem("Leave unlabeled (the model predicts)", None)
        for p in LABELS:
            self.polarity_combo.addItem(f"Label them {p.value}", p)
        form.addRow("Then", self.polarity_combo)
        lay.addLayout(form)
        self.preview_label = QLabel("Counting…")
        self.preview_label.setWordWrap(True)
        self.preview_label.setObjectName("labelEverywherePreview")
        lay.addWidget(self.preview_label)
        keep = QLabel("Terms that are there already keep their labels. Undo does not take this back.")
        keep.setProperty("muted", True)
        keep.setWordWrap(True)
        lay.addWidget(keep)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.Ok)
        self.ok_button.setEnabled(False)
        lay.addWidget(self.buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._preview: Any = None
        self._connect_callbacks()

    def _connect_callbacks(self) -> None:
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.text_edit.textChanged.connect(self._on_edited)
        self._timer.timeout.connect(self.request_preview)

    # ---- what the controller reads and sets ------------------------------------------------------
    def text(self) -> str:
        return self.text_edit.text().strip()

    def polarity(self) -> Polarity | None:
        return self.polarity_combo.currentData()

    def preview(self) -> Any:
        return self._preview

    @Slot()
    def request_preview(self) -> None:
        self._timer.stop()
        self._preview = None
        self.ok_button.setEnabled(False)
        if not self.text():
            self.preview_label.setText("Type the term to look for.")
            return
        self.preview_label.setText("Counting…")
        self.previewRequested.emit(self.text())

    def show_preview(self, preview: Any) -> None:
        """The store's answer (a ``LabelEverywherePreview``); one for an older string is ignored."""
        if preview.text.casefold() != self.text().casefold():
            return
        self._preview = preview
        quoted = f"“{preview.text}”"
        if preview.sentences == 0:
            self.preview_label.setText(f"{quoted} does not appear in any sentence.")
        elif preview.new_terms == 0:
            self.preview_label.setText(f"{quoted} is in {_n(preview.sentences, 'sentence')}, and every "
                                       "occurrence is a term already: nothing to add.")
        else:
            self.preview_label.setText(f"{quoted} is in <b>{_n(preview.sentences, 'sentence')}</b>: "
                                       f"<b>{_n(preview.new_terms, 'new term')}</b> would be added.")
        self.ok_button.setEnabled(preview.new_terms > 0)
        self.ok_button.setText(f"Add {_n(preview.new_terms, 'term')}" if preview.new_terms else "OK")

    def show_failure(self, message: str) -> None:
        self.preview_label.setText(f"Could not count: {message}")

    @Slot(str)
    def _on_edited(self, _text: str) -> None:
        self._preview = None
        self.ok_button.setEnabled(False)
        self._timer.start()


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"
