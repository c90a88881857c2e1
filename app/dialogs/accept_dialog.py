""""Accept predictions above X %": asks first, showing what it would do. Layout only.

The person picks the threshold; the review controller answers each choice with a dry run
(``show_preview``: how many unlabeled terms, and their label split) computed off the GUI
thread. The Accept button waits for the preview of the threshold shown, so nobody accepts
a count they have not seen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from app.theme.style import LABEL_COLORS
from core.domain import LABELS

DEFAULT_PERCENT = 95
PREVIEW_DELAY_MS = 200  # typing "90" asks once, not for 9 and then 90


class AcceptDialog(QDialog):
    thresholdChanged = Signal(float)  # the confidence (0-1) to preview

    def __init__(self, parent: QWidget | None = None, percent: int = DEFAULT_PERCENT, model: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Accept confident predictions")
        self.setMinimumWidth(440)
        lay = QVBoxLayout(self)
        intro = QLabel("Label every <b>unlabeled</b> term whose prediction is at least this confident with that "
                       f"prediction{f' ({model})' if model else ''}. They are recorded as accepted predictions, "
                       "apart from people's labels; one undo takes the whole batch back.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.spin = QSpinBox()
        self.spin.setRange(50, 100)
        self.spin.setSuffix(" %")
        self.spin.setValue(percent)
        self.spin.setAccessibleName("Minimum confidence")
        form.addRow("Minimum confidence", self.spin)
        lay.addLayout(form)
        self.preview = QLabel("Counting…")
        self.preview.setObjectName("acceptPreview")
        self.preview.setTextFormat(Qt.RichText)
        self.preview.setWordWrap(True)
        lay.addWidget(self.preview)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.accept_button: QPushButton = self.buttons.addButton("Accept", QDialogButtonBox.AcceptRole)
        self.accept_button.setEnabled(False)
        lay.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._ask)
        self.spin.valueChanged.connect(self._on_value)
        self._count = 0

    def min_confidence(self) -> float:
        return self.spin.value() / 100.0

    def ask_preview(self) -> None:
        """Ask for the dry run of the threshold shown now."""
        self._timer.stop()
        self._ask()

    @Slot(int)
    def _on_value(self, _value: int) -> None:
        self.accept_button.setEnabled(False)
        self.preview.setText("Counting…")
        self._timer.start()

    @Slot()
    def _ask(self) -> None:
        self.thresholdChanged.emit(self.min_confidence())

    def show_preview(self, report: Any) -> None:
        """A dry-run ``AcceptReport``; one for another threshold than the one shown is dropped."""
        if abs(report.min_confidence - self.min_confidence()) > 1e-9:
            return
        self._count = report.accepted
        if not report.accepted:
            self.preview.setText(f"No unlabeled term has a prediction at or above {self.spin.value()} %.")
            self.accept_button.setEnabled(False)
            return
        split = " · ".join(f"<span style='color:{LABEL_COLORS[p].text.name()}'><b>{report.per_label.get(p.value, 0)}"
                           f"</b> {p.value}</span>" for p in LABELS)
        self.preview.setText(f"<b>{report.accepted}</b> term{'s' if report.accepted != 1 else ''} will be labeled "
                             f"(model v{report.model_version_id}): {split}")
        self.accept_button.setEnabled(True)
        self.accept_button.setText(f"Accept {report.accepted}")

    def show_failure(self, text: str) -> None:
        self.preview.setText(text)
        self.accept_button.setEnabled(False)

    def preview_text(self) -> str:
        return self.preview.text()
