"""The Training tab: start / cancel, live progress with phase, epoch and elapsed time, the curve,
and at the end the new model beside the previous one with Keep / Roll back. Layout only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QGridLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                               QScrollArea, QVBoxLayout, QWidget)

from app.widgets.charts.reliability_chart import ReliabilityChart
from app.widgets.charts.stats_charts import ConfusionMatrixChart, TrainingCurveChart
from core.ml.compare import Scored



PHASE_NAMES = {"loading": "Loading the base encoder", "body": "Fine-tuning", "features": "Training the head · caching features",
               "head": "Training the head", "lora": "LoRA", "scoring": "Scoring the dev set",
               "saving": "Saving the new model", "extractor": "Training the term extractor", "predicting": "Predicting",
               "done": "Comparing with the previous model and saving the new one"}


def describe_progress(event: Any) -> str:
    """A ``TrainingProgress`` in words: "Fine-tuning · epoch 1/3 · loss 0.412" (from its fields)."""
    parts = [PHASE_NAMES.get(event.phase, str(event.phase).capitalize())]
    if event.epoch and event.epochs:
        parts.append(f"epoch {event.epoch}/{event.epochs}")
    if event.loss is not None:
        parts.append(f"loss {event.loss:.3f}")
    text = " · ".join(parts)
    return text + "…" if event.phase in ("loading", "saving", "done") else text


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def pct(value: Any) -> str:
    return f"{float(value) * 100:.1f} %" if isinstance(value, (int, float)) else "—"


def accuracy_text(metrics: dict[str, Any] | None, n: Any) -> str:
    """"82.2 % (n = 45, 95 %: 68.7–90.7 %)", or just the percentage when n is unknown."""
    acc = (metrics or {}).get("accuracy")
    if not isinstance(acc, (int, float)):
        return "—"
    # Two lines: the interval does not fit one narrow grid cell beside the percentage.
    return Scored.of(float(acc), int(n)).text().replace(" (", "\n(", 1) if isinstance(n, int) and n > 0 else pct(acc)


class TrainingPanel(QWidget):
    retrainClicked = Signal()
    cancelClicked = Signal()
    keepClicked = Signal()
    rollbackClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A scroll area: in the side panel at 1366x768 the result (grid, two charts, the note)
        # is taller than the space left under the curve, and widgets must not overlap.
        content = QWidget()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(10)

        row = QHBoxLayout()
        self.retrain_button = QPushButton("Retrain from my labels")
        self.retrain_button.setProperty("primary", True)
        self.retrain_button.setToolTip("Train a new model version from the current labels (Ctrl+R)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop training; the current model stays (Esc)")
        self.cancel_button.setEnabled(False)
        row.addWidget(self.retrain_button, 1)
        row.addWidget(self.cancel_button)
        outer.addLayout(row)

        self.phase_label = QLabel("Labels are read once at the start: keep labeling while it trains.")
        self.phase_label.setProperty("muted", True)
        self.phase_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.elapsed_label = QLabel("")
        self.elapsed_label.setProperty("muted", True)
        status = QHBoxLayout()
        status.addWidget(self.phase_label, 1)
        status.addWidget(self.elapsed_label)
        outer.addLayout(status)
        outer.addWidget(self.progress)

        self.curve = TrainingCurveChart()
        self.curve.setMinimumHeight(215)
        outer.addWidget(self.curve, 2)

        self.result_box = QGroupBox("New model")
        box = QVBoxLayout(self.result_box)
        self.result_title = QLabel("")
        self.result_title.setWordWrap(True)
        box.addWidget(self.result_title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        self._cells: dict[tuple[str, str], QLabel] = {}
        for c, head in enumerate(("", "New", "Previous")):
            h = QLabel(head)
            h.setProperty("muted", True)
            h.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            grid.addWidget(h, 0, c)
        for r, (key, name) in enumerate((("accuracy", "Dev accuracy"), ("macro_f1", "Macro-F1")), start=1):
            grid.addWidget(QLabel(name), r, 0)
            for c, which in enumerate(("new", "previous"), start=1):
                cell = QLabel("—")
                cell.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
                cell.setWordWrap(True)  # the interval wraps rather than widening a narrow panel
                grid.addWidget(cell, r, c)
                self._cells[(which, key)] = cell
        box.addLayout(grid)
        self.verdict_label = QLabel("")
        self.verdict_label.setWordWrap(True)
        box.addWidget(self.verdict_label)
        self.extractor_label = QLabel("")  # whether the retrain also updated the term extractor
        self.extractor_label.setWordWrap(True)
        box.addWidget(self.extractor_label)
        charts = QHBoxLayout()
        self.confusion = ConfusionMatrixChart()
        self.confusion.setMinimumHeight(170)
        self.reliability = ReliabilityChart()
        self.reliability.setMinimumHeight(170)
        for chart in (self.confusion, self.reliability):  # side by side in a ~400 px wide panel
            chart.setMinimumWidth(150)
        self.reliability.setToolTip("Per confidence bin: how often the new model was right on the dev labels. "
                                    "Bars reaching the dashed diagonal mean its percentages can be taken at face value.")
        charts.addWidget(self.confusion, 1)
        charts.addWidget(self.reliability, 1)
        box.addLayout(charts, 1)
        self.pending_label = QLabel("")
        self.pending_label.setProperty("muted", True)
        self.pending_label.setWordWrap(True)
        box.addWidget(self.pending_label)
        choice = QHBoxLayout()
        self.keep_button = QPushButton("Keep new model")
        self.keep_button.setProperty("primary", True)
        self.rollback_button = QPushButton("Roll back")
        choice.addWidget(self.keep_button, 1)
        choice.addWidget(self.rollback_button, 1)
        box.addLayout(choice)
        self.result_box.setVisible(False)
        outer.addWidget(self.result_box, 3)
        outer.addStretch(0)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        self.retrain_button.clicked.connect(self.retrainClicked)
        self.cancel_button.clicked.connect(self.cancelClicked)
        self.keep_button.clicked.connect(self.keepClicked)
        self.rollback_button.clicked.connect(self.rollbackClicked)

    # ---- states ------------------------------------------------------------------------------
    def show_running(self) -> None:
        self.retrain_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.result_box.setVisible(False)
        self.curve.clear()
        self.progress.setRange(0, 0)  # busy until the first step says how many there are
        self.phase_label.setText("Starting: reading the labels and loading the base encoder…")
        self.elapsed_label.setText("0:00")

    def show_progress(self, event: Any) -> None:
        """Show a ``TrainingProgress``: the bar from step/total, the line from phase, epoch and loss."""
        if event.total > 0:
            self.progress.setRange(0, event.total)
            self.progress.setValue(min(event.step, event.total))
        self.phase_label.setText(describe_progress(event))

    def show_elapsed(self, seconds: float) -> None:
        self.elapsed_label.setText(format_elapsed(seconds))

    def show_cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.phase_label.setText("Cancelling: stopping after the current batch…")

    def show_idle(self, message: str) -> None:
        self.retrain_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.phase_label.setText(message)

    def show_result(self, title: str, new: dict[str, Any], previous: dict[str, Any] | None,
                    confusion: list[list[int]] | None, can_roll_back: bool, rollback_text: str,
                    verdict: str = "", pending: str = "", extractor: str = "") -> None:
        """``new`` / ``previous``: metrics scored on the same dev split (``n_dev`` items);
        ``extractor``: a sentence on the term extractor's half of the retrain."""
        self.show_idle("Training finished: keep the new model or roll back.")
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.result_title.setText(title)
        n_dev = new.get("n_dev")
        self._cells[("new", "accuracy")].setText(accuracy_text(new, n_dev))
        self._cells[("previous", "accuracy")].setText(accuracy_text(previous, (previous or {}).get("n_dev", n_dev)))
        self._cells[("new", "macro_f1")].setText(pct(new.get("macro_f1")))
        self._cells[("previous", "macro_f1")].setText(pct((previous or {}).get("macro_f1")))
        self.verdict_label.setText(verdict)
        self.verdict_label.setVisible(bool(verdict))
        self.pending_label.setText(pending)
        self.extractor_label.setText(extractor)
        self.extractor_label.setVisible(bool(extractor))
        if confusion:
            self.confusion.set_matrix(confusion)
        self.confusion.setVisible(bool(confusion))
        self.reliability.set_bins(new.get("reliability") or [], new.get("ece"))
        self.keep_button.setEnabled(True)
        self.rollback_button.setEnabled(can_roll_back)
        self.rollback_button.setText(rollback_text)
        self.result_box.setVisible(True)

    def set_can_retrain(self, enabled: bool) -> None:
        self.retrain_button.setEnabled(enabled)

    def add_step(self, epoch_index: int, phase: str, fraction: float, loss: float) -> None:
        """One training step's loss, drawn within its epoch (the chart smooths it)."""
        self.curve.add_step(epoch_index, phase, fraction, loss)

    def add_epoch(self, epoch_index: int, phase: str, loss: float | None, accuracy: float | None) -> None:
        self.curve.add_point(epoch_index, phase, loss, accuracy)

    def hide_result_box(self) -> None:
        self.result_box.setVisible(False)

    def hide_result(self, message: str) -> None:
        """Close the result box (Keep / Roll back chosen) and say what happened."""
        self.result_box.setVisible(False)
        self.show_idle(message)

    def metric_text(self, which: str, key: str) -> str:
        return self._cells[(which, key)].text()

    def verdict_text(self) -> str:
        return self.verdict_label.text()

    def pending_text(self) -> str:
        return self.pending_label.text()

    def extractor_text(self) -> str:
        return self.extractor_label.text()
