"""A background job in the status bar: what it does, a small bar, and Cancel. Hidden when idle.

Used by "Suggest terms", which runs for minutes on a large project while the person labels on:
the bar says how far it is without taking a tab or a dialog.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from app.theme.style import UI


class JobProgress(QWidget):
    cancelClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobProgress")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.setSpacing(6)
        self.label = QLabel("")
        self.label.setProperty("muted", True)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(110, 10)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop (Esc); what is stored so far stays")
        # Flat, like a link: a framed button would make the status bar taller while it shows.
        self.cancel_button.setStyleSheet(f"QToolButton {{ border: none; background: transparent; padding: 0 6px; "
                                         f"color: {UI.accent}; }} QToolButton:disabled {{ color: {UI.text_faint}; }}")
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self.cancelClicked)
        self.hide()

    def show_progress(self, text: str, done: int = 0, total: int = 0) -> None:
        """``total`` 0: a busy bar (how long is not known yet)."""
        self.label.setText(text)
        self.bar.setRange(0, max(total, 0))
        if total > 0:
            self.bar.setValue(min(done, total))
        self.cancel_button.setEnabled(True)
        self.show()

    def show_stopping(self) -> None:
        self.label.setText("Stopping…")
        self.cancel_button.setEnabled(False)

    def finish(self) -> None:
        self.hide()
