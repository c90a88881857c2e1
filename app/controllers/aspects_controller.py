"""The Aspects tab and "label every occurrence": wires the view, the dialog and ``SummaryService``.

The summary is recomputed off the GUI thread when what it counts changes (labels, terms,
predictions, suggestions, an import), ``RECOMPUTE_DELAY_MS`` after the last change, and only
while the tab is on screen: a hidden tab just remembers that it is stale and catches up when
shown. A click on an aspect shows its sentences: the list is filtered by the search box (the
person sees why, and clears it as any search), the first one shown with the aspect picked.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QFileDialog

from app.dialogs.error_dialog import show_error
from app.dialogs.label_everywhere_dialog import LabelEverywhereDialog
from app.services.summary_service import SummaryAnswer, SummaryQuery, SummaryService
from app.state.app_state import AppState
from app.views.main_window import MainWindow
from core.storage import SentenceFilter
from core.storage.suggestions import occurrences

log = logging.getLogger(__name__)
RECOMPUTE_DELAY_MS = 800  # a burst of labels is one recomputation
SLOW_FACTOR = 2           # on a large project (100k terms: ~8 s a summary) wait 2x its last cost:
                          # labeling never keeps a core busy more than a third of the time
OPTIONS_DELAY_MS = 150    # spin box arrows held down


def search_text(row: Any) -> str:
    """What the search box gets for an aspect: its shortest spelling that every other spelling
    contains ("pizza" for pizza / pizzas), else the aspect's own name."""
    forms = sorted(set(row.forms) or {row.term}, key=len)
    common = next((f for f in forms if all(f in other for other in forms)), None)
    return common or row.term


class AspectsController(QObject):
    def __init__(self, window: MainWindow, state: AppState, labeling: Any) -> None:
        super().__init__(window)
        self.w, self.state, self.labeling = window, state, labeling
        self.view = window.aspects_view
        self.service = SummaryService(self)
        self.dialog: LabelEverywhereDialog | None = None
        self.answer: SummaryAnswer | None = None  # the summary on screen
        self._stale = True
        self._asked_at = 0.0
        self._last_cost_ms = 0.0  # how long the last summary took
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._connect_callbacks()
        self._sync_enabled()

    def _connect_callbacks(self) -> None:
        a, s = self.w.actions, self.state
        a["aspect_summary"].triggered.connect(self.show_summary)
        a["label_everywhere"].triggered.connect(self.label_everywhere)
        s.projectChanged.connect(self._on_project_changed)
        for signal in (s.labelsChanged, s.datasetChanged, s.predictionsChanged, s.suggestionsChanged):
            signal.connect(self.mark_stale)
        self._timer.timeout.connect(self.recompute)
        self.view.optionsChanged.connect(self._on_options_changed)
        self.view.shown.connect(self._on_shown)
        self.view.exportClicked.connect(self.export_dialog)
        self.view.aspectClicked.connect(self.show_aspect)
        self.service.summary.connect(self._on_summary)
        self.service.summaryFailed.connect(self._on_summary_failed)
        self.service.exported.connect(self._on_exported)
        self.service.exportFailed.connect(self._on_export_failed)
        self.service.previewed.connect(self._on_previewed)
        self.service.applied.connect(self._on_applied)
        self.service.labelFailed.connect(self._on_label_failed)

    # ---- the summary -----------------------------------------------------------------------------
    def query(self) -> SummaryQuery:
        return SummaryQuery(self.view.top(), self.view.accepted_only())

    @Slot()
    def show_summary(self) -> None:
        self.w.show_tab("aspects")

    @Slot()
    @Slot(object)
    def mark_stale(self, *_: Any) -> None:
        self._stale = True
        if self.view.isVisible() and not self._timer.isActive():
            self._timer.start(int(max(RECOMPUTE_DELAY_MS, SLOW_FACTOR * self._last_cost_ms)))

    @Slot()
    def recompute(self) -> None:
        self._timer.stop()
        if self.state.project is not None and self.service.request(self.query()):
            self._stale = False
            self._asked_at = time.monotonic()
            self.view.set_busy(True)

    @Slot()
    def _on_options_changed(self) -> None:
        self._stale = True
        self._timer.start(OPTIONS_DELAY_MS)

    @Slot()
    def _on_shown(self) -> None:
        if self._stale and not self._timer.isActive():
            self.recompute()

    @Slot()
    def _on_project_changed(self) -> None:
        has = self.state.project is not None
        self.answer = None
        self.service.set_project(*(self.state.job_target() if has else (None, None)))
        self.view.set_rows([], self.view.accepted_only())
        self._sync_enabled()
        self._stale = True
        if has and self.view.isVisible():
            self.recompute()

    @Slot(object)
    def _on_summary(self, answer: SummaryAnswer) -> None:
        self.answer = answer
        self._last_cost_ms = (time.monotonic() - self._asked_at) * 1000
        self.view.set_rows(answer.rows, answer.query.accepted_only)
        self.view.set_busy(False)
        if answer.query != self.query():  # options changed while it ran and that request is lost
            self.mark_stale()

    @Slot(str)
    def _on_summary_failed(self, message: str) -> None:
        self.view.set_busy(False)
        self.w.show_message(f"The aspect summary could not be computed: {message}", 8000)

    # ---- click through -------------------------------------------------------------------------
    @Slot(object)
    def show_aspect(self, row: Any) -> None:
        """The aspect's sentences in the list (search box = its spelling), the first one shown with it picked."""
        text = search_text(row)
        self.w.list_pane.set_filter(SentenceFilter("all", None, text))
        model = self.w.sentence_model
        rec = model.record(0) if model.rowCount() else None
        if rec is not None:
            spans = [span for form in (row.forms or (row.term,)) for span in occurrences(rec.text, form)]
            self.labeling.select_row(0, min(spans) if spans else None)
            self.w.term_panel.sentence_view.setFocus()
        total = model.total()
        found = f"{total} sentence{'s' if total != 1 else ''}"
        self.w.show_message(f"{found} with “{text}”: clear the search to see all", 8000)

    # ---- export --------------------------------------------------------------------------------
    @Slot()
    def export_dialog(self) -> None:
        if self.state.project is None:
            return
        start = Path(str(self.state.path)).with_name(f"{self.state.name or 'project'}-aspects.csv")
        path, _ = QFileDialog.getSaveFileName(self.w, "Export the aspect summary", str(start), "CSV files (*.csv)")
        if path:
            self.export_csv(path if path.lower().endswith(".csv") else path + ".csv")

    def export_csv(self, path: str | Path) -> bool:
        """Every aspect (with the "accepted terms only" choice shown), written off the GUI thread."""
        ok = self.service.export(str(path), self.view.accepted_only())
        if ok:
            self.view.export_button.setEnabled(False)
        return ok

    @Slot(str, int)
    def _on_exported(self, path: str, rows: int) -> None:
        self.view.export_button.setEnabled(True)
        self.w.show_message(f"Wrote {rows} aspects to {Path(path).name}", 6000)

    @Slot(str)
    def _on_export_failed(self, message: str) -> None:
        self.view.export_button.setEnabled(True)
        show_error(self.w, "The aspect summary was not written", message, unchanged=True)

    # ---- label every occurrence ------------------------------------------------------------------
    def picked_text(self) -> str:
        """The chosen term's text, or the span picked in the shown sentence ("" when none)."""
        rec, span = self.labeling.record, self.labeling.span
        return rec.text[span[0]:span[1]].strip() if rec is not None and span is not None else ""

    @Slot()
    def label_everywhere(self) -> None:
        if self.state.project is None or self.dialog is not None:
            return
        dialog = LabelEverywhereDialog(self.picked_text(), self.w)
        dialog.previewRequested.connect(self.service.preview)
        dialog.accepted.connect(self._on_dialog_accepted)
        dialog.finished.connect(self._on_dialog_finished)
        self.dialog = dialog
        dialog.open()
        dialog.request_preview()

    @Slot(object)
    def _on_previewed(self, preview: Any) -> None:
        if self.dialog is not None:
            self.dialog.show_preview(preview)

    @Slot()
    def _on_dialog_accepted(self) -> None:
        dialog = self.dialog
        if dialog is not None and dialog.text():
            self.service.apply(dialog.text(), dialog.polarity(), self.state.author)
            self.w.show_message(f"Adding “{dialog.text()}” everywhere…")

    @Slot(int)
    def _on_dialog_finished(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    @Slot(object)
    def _on_applied(self, terms: list[Any]) -> None:
        ids = frozenset(t.sentence_id for t in terms)
        self.w.show_message(f"Added {len(terms)} term{'s' if len(terms) != 1 else ''} in {len(ids)} "
                            f"sentence{'s' if len(ids) != 1 else ''}", 8000)
        if not terms:
            return
        self.state.othersLabeled.emit(ids)   # the list rows and the sentence on screen are read again
        self.state.labelsChanged.emit(ids)   # the counts and this summary
        if any(t.label is None for t in terms):
            self.state.modelsChanged.emit()  # new unlabeled terms want predictions

    @Slot(str)
    def _on_label_failed(self, message: str) -> None:
        if self.dialog is not None:
            self.dialog.show_failure(message)
        else:
            show_error(self.w, "The terms were not added", message, unchanged=True)

    # ---- state ---------------------------------------------------------------------------------
    def _sync_enabled(self) -> None:
        has = self.state.project is not None
        self.view.set_enabled(has)
        self.w.actions["label_everywhere"].setEnabled(has)

    def shutdown(self) -> None:
        self._timer.stop()
        self.service.shutdown()
