"""The Agreement tab: how much the annotators agree. Layout only.

A kappa heatmap (one cell per pair, with the number of terms both labeled), Krippendorff's
alpha over everyone, and a plain message when fewer than two annotators labeled anything.
The review controller computes the report off the GUI thread and hands it over through
``show_report``; the view says when it is looked at (``shown``) or asked again (``refreshRequested``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.widgets.charts.heatmap import KappaHeatmap, pairs_of

FEW = ("Agreement needs labels from at least two annotators. In a team project each person labels "
       "under their own name; in a file, import each annotator's file with --author NAME.")


def describe(value: float | None) -> str:
    """Landis & Koch's words for a kappa or alpha, so a number reads without a table beside it."""
    if value is None:
        return "undefined"
    for bound, word in ((0.0, "worse than chance"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"),
                        (0.8, "substantial")):
        if value < bound:
            return word
    return "almost perfect"


class AgreementView(QWidget):
    shown = Signal()             # the tab came to the front: a stale report is worth recomputing
    refreshRequested = Signal()  # the Refresh button

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(10)
        head = QHBoxLayout()
        self.summary = QLabel("")
        self.summary.setObjectName("agreementSummary")
        self.summary.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Compute the agreement again from every annotator's newest labels")
        head.addWidget(self.summary, 1)
        head.addWidget(self.refresh_button)
        outer.addLayout(head)
        self.message = QLabel("")
        self.message.setObjectName("agreementMessage")
        self.message.setWordWrap(True)
        self.message.setProperty("muted", True)
        outer.addWidget(self.message)
        self.heatmap = KappaHeatmap()
        outer.addWidget(self.heatmap, 1)
        self.pairs_label = QLabel("")
        self.pairs_label.setObjectName("agreementPairs")
        self.pairs_label.setWordWrap(True)
        self.pairs_label.setProperty("muted", True)
        outer.addWidget(self.pairs_label)
        self.refresh_button.clicked.connect(self.refreshRequested)
        self.show_message("Open a project to see how its annotators agree.")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.shown.emit()

    # ---- filling -----------------------------------------------------------------------------
    def show_busy(self) -> None:
        """A report is being computed: the one shown stays until the new one arrives."""
        if not self.summary.text():
            self.message.setText("Computing agreement…")
        self.refresh_button.setText("Computing…")
        self.refresh_button.setEnabled(False)

    def _idle(self) -> None:
        self.refresh_button.setText("Refresh")
        self.refresh_button.setEnabled(True)

    def show_message(self, text: str) -> None:
        """No report to show (no project, or the computation failed): say why."""
        self.summary.setText("")
        self.message.setText(text)
        self.heatmap.set_pairs((), ())
        self.pairs_label.setText("")
        self._idle()

    def show_report(self, report: Any) -> None:
        """An ``AgreementReport``: the heatmap of the annotators who labeled, alpha, shared terms."""
        self._idle()
        names = report.labeled_by
        if not report.enough:
            who = f" (only {names[0]} has labels)" if names else ""
            self.show_message(FEW.replace("annotators.", f"annotators{who}.", 1))
            return
        pairs = [p for p in pairs_of(report) if p[0] in names and p[1] in names]
        self.heatmap.set_pairs(names, pairs)
        alpha = report.alpha
        alpha_text = "—" if alpha is None else f"{alpha:.2f}"
        self.summary.setText(f"<b>{len(names)}</b> annotators · <b>{report.n}</b> terms labeled by two or more · "
                             f"Krippendorff's α <b>{alpha_text}</b> ({describe(alpha)})")
        self.message.setText("" if report.n else "No term was labeled by two annotators yet: the pairs share nothing.")
        lines = [f"{a} – {b}: {n} shared, κ {'—' if k is None else f'{k:.2f}'}" for a, b, n, k in pairs]
        self.pairs_label.setText(" · ".join(lines))

    def summary_text(self) -> str:
        return self.summary.text()

    def message_text(self) -> str:
        return self.message.text()
