"""Suggested terms: the dashed chips of the sentence on screen, and the keys that decide them.

A accepts the current suggestion (it becomes a term, chosen, so 1 / 2 / 3 label it), X rejects
it (never suggested again), Shift+A accepts all of the sentence's, D marks "all terms done".
The open suggestions and done marks of the sentences the list has loaded are read with the list's
pages (one read per page), so showing a sentence costs no query. A key is one store transaction;
a key that changes the sentence's terms (A, Shift+A) re-reads that sentence once, as a label does;
X and D know what changed without a read. ``LabelingController`` keeps the chosen span: a span
that is one of the shown suggestions is the current suggestion.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

from PySide6.QtCore import QModelIndex, QObject, Slot

from app.controllers.labeling_controller import LabelingController
from app.dialogs.error_dialog import show_error
from app.services.stats_service import StatsService, open_suggestions_job
from app.state.app_state import AppState
from app.views.main_window import MainWindow
from app.views.sentence.sentence_list import RowMarks
from app.views.sentence.suggestion_chips import SuggestionSpan
from core.storage import SentenceRecord, StoreError
from core.storage.suggestions import SuggestionRecord

log = logging.getLogger(__name__)
KEYS = ("accept_suggestion", "reject_suggestion", "accept_all_suggestions", "terms_done")


def chip_of(s: SuggestionRecord) -> SuggestionSpan:
    confidence = max(s.probabilities) if s.probabilities is not None else None
    return SuggestionSpan(s.start, s.end, s.predicted, confidence, s.id, s.score)


class SuggestionController(QObject):
    def __init__(self, window: MainWindow, state: AppState, labeling: LabelingController) -> None:
        super().__init__(window)
        self.w, self.state, self.labeling = window, state, labeling
        self.panel = window.term_panel
        self.model = window.list_pane.model
        self._open: dict[int, tuple[SuggestionRecord, ...]] = {}  # sentence id -> its open suggestions
        self._done: set[int] = set()       # of the sentences in ``_open``: those marked "all terms done"
        self._with_open = 0                # sentences of the project with open suggestions
        self.counter = StatsService(self, open_suggestions_job, "suggestion count")  # counted off the GUI thread
        labeling.next_stop = self.next_suggestion  # after a label: the next suggestion before the next sentence
        labeling.navigator.suggested_spans = self.suggested_spans  # Shift+Tab into a sentence: its last one
        self._connect_callbacks()
        self._sync_actions()

    def _connect_callbacks(self) -> None:
        a = self.w.actions
        a["accept_suggestion"].triggered.connect(self.accept)
        a["reject_suggestion"].triggered.connect(self.reject)
        a["accept_all_suggestions"].triggered.connect(self.accept_all)
        a["terms_done"].triggered.connect(self.toggle_done)
        self.state.termShown.connect(self._on_term_shown)
        self.state.othersLabeled.connect(self._on_others_labeled)
        self.state.projectChanged.connect(self._on_project_changed)
        self.state.datasetChanged.connect(self.recount)  # e.g. "Suggest terms" stored new suggestions
        self.counter.stats.connect(self._on_counted)
        self.model.modelReset.connect(self._on_list_reset)
        self.model.rowsInserted.connect(self._on_rows_inserted)

    # ---- what is shown -------------------------------------------------------------------------
    def open_suggestions(self, sentence_id: int) -> tuple[SuggestionRecord, ...]:
        """The sentence's open suggestions (read once when its page was not loaded with the list)."""
        if sentence_id not in self._open and self.state.project is not None:
            self._load([sentence_id])
        return self._open.get(sentence_id, ())

    def current(self) -> SuggestionRecord | None:
        """The current suggestion: the chosen span, when it is one of the shown sentence's suggestions."""
        rec, span = self.labeling.record, self.labeling.span
        if rec is None or span is None:
            return None
        return next((s for s in self._shown(rec) if (s.start, s.end) == span), None)

    def terms_done(self, sentence_id: int) -> bool:
        return sentence_id in self._done

    def open_count(self) -> int:
        """Sentences of the project with open suggestions."""
        return self._with_open

    def next_suggestion(self, span: tuple[int, int] | None) -> tuple[int, int] | None:
        """The shown sentence's next suggestion after ``span`` (then from its start), if any."""
        rec = self.labeling.record
        spans = [(s.start, s.end) for s in self._shown(rec)] if rec is not None else []
        after = [sp for sp in spans if span is None or sp > span]
        return (after or spans or [None])[0]

    def suggested_spans(self, rec: SentenceRecord) -> list[tuple[int, int]]:
        return [(s.start, s.end) for s in self._shown(rec)]

    def _shown(self, rec: SentenceRecord) -> list[SuggestionRecord]:
        terms = {(t.start, t.end) for t in rec.terms}  # a span labeled some other way is a term now
        return [s for s in self.open_suggestions(rec.id) if (s.start, s.end) not in terms]

    @Slot(object)
    def _on_term_shown(self, _term: Any) -> None:
        """After every sentence or span the labeling controller shows: the chips, the done pill, and
        what the chosen span is. A sentence with no term to start on starts on its first suggestion."""
        rec = self.labeling.record
        if rec is None:
            self.panel.show_suggestions(())
            self.panel.show_suggestion(None)
            self.panel.show_done(False)
            self._sync_actions()
            return
        shown = self._shown(rec)
        self.panel.show_suggestions([chip_of(s) for s in shown])
        self.panel.show_done(rec.id in self._done)
        if self.labeling.span is None and shown:
            self.labeling.select_span(shown[0].start, shown[0].end)  # shows it, and comes back here
            return
        current = self.current()
        self.panel.show_suggestion(chip_of(current) if current is not None else None)
        self._sync_actions()

    def _sync_actions(self) -> None:
        a, rec = self.w.actions, self.labeling.record
        has_current = self.current() is not None
        a["accept_suggestion"].setEnabled(has_current)
        a["reject_suggestion"].setEnabled(has_current)
        a["accept_all_suggestions"].setEnabled(rec is not None and bool(self._shown(rec)))
        a["terms_done"].setEnabled(rec is not None)
        a["terms_done"].setChecked(rec is not None and rec.id in self._done)

    # ---- the keys ------------------------------------------------------------------------------
    @Slot()
    def accept(self) -> None:
        """A: the current suggestion becomes a term, and stays chosen so 1 / 2 / 3 label it."""
        project, rec, current = self.state.project, self.labeling.record, self.current()
        if project is None or rec is None or current is None:
            return
        try:
            term = project.accept_suggestion(current.id)
        except StoreError as exc:
            show_error(self.w, "The suggestion was not accepted", exc)
            return
        self._forget(rec.id, {current.id})
        self._reload(rec.id, (term.start, term.end))
        self.w.show_message(f"“{term.text}” is a term now: label it with 1 / 2 / 3", 4000)

    @Slot()
    def reject(self) -> None:
        """X: the current suggestion is dropped for good; the next one is chosen."""
        project, rec, current = self.state.project, self.labeling.record, self.current()
        if project is None or rec is None or current is None:
            return
        try:
            project.reject_suggestion(current.id)
        except StoreError as exc:
            show_error(self.w, "The suggestion was not rejected", exc)
            return
        self._forget(rec.id, {current.id})
        self._show_again(rec, self.next_suggestion((current.start, current.end)))
        self.w.show_message(f"“{current.text}” will not be suggested again", 3000)

    @Slot()
    def accept_all(self) -> None:
        """Shift+A: every open suggestion of the sentence becomes a term; the first of them is chosen."""
        project, rec = self.state.project, self.labeling.record
        if project is None or rec is None or not self._shown(rec):
            return
        try:
            terms = project.accept_all_suggestions(rec.id)
        except StoreError as exc:
            show_error(self.w, "The suggestions were not accepted", exc)
            return
        self._forget(rec.id, None)
        first = min(((t.start, t.end) for t in terms), default=self.labeling.span)
        self._reload(rec.id, first)
        self.w.show_message(f"{len(terms)} suggested term{'s' if len(terms) != 1 else ''} added: label them "
                            "with 1 / 2 / 3", 4000)

    @Slot()
    def toggle_done(self) -> None:
        """D: mark (or unmark) that the sentence has all its terms; marking it closes its suggestions."""
        project, rec = self.state.project, self.labeling.record
        if project is None or rec is None:
            return
        done, still_open = rec.id not in self._done, len(self._shown(rec))
        try:
            project.set_terms_done(rec.id, done)
        except StoreError as exc:
            show_error(self.w, "The sentence was not marked", exc)
            return
        if done:
            self._done.add(rec.id)
            self._forget(rec.id, None)  # the store rejected what was still open
        else:
            self._done.discard(rec.id)
            self._mark([rec.id])
        span = self.labeling.span
        self._show_again(rec, span if span is not None and any((t.start, t.end) == span for t in rec.terms) else None)
        closed = f" ({still_open} open suggestion{'s' if still_open != 1 else ''} rejected)" if still_open else ""
        self.w.show_message(f"All terms done{closed}: this sentence now teaches the term extractor" if done
                            else "No longer marked “all terms done”", 4000)

    # ---- after a key ---------------------------------------------------------------------------
    def _forget(self, sentence_id: int, ids: set[int] | None) -> None:
        """Drop decided suggestions (None: all of the sentence's) from what is kept; when the sentence
        has none left, the count is read again (off the GUI thread)."""
        before = self._open.get(sentence_id, ())
        after = tuple(s for s in before if ids is not None and s.id not in ids)
        self._open[sentence_id] = after
        self._mark([sentence_id])
        self.state.suggestionsChanged.emit(frozenset({sentence_id}))  # the aspect summary counts open ones
        if before and not after:
            self.recount()

    def _show_again(self, rec: SentenceRecord, span: tuple[int, int] | None) -> None:
        """Show the same sentence again (nothing of it to re-read) with ``span`` (None: its first
        unlabeled term, else its first suggestion) chosen."""
        self.labeling.show_sentence(rec, span)

    def _reload(self, sentence_id: int, span: tuple[int, int] | None) -> None:
        """Re-read the sentence whose terms changed (one query) and show it with ``span`` chosen."""
        self.model.refresh([sentence_id])
        row = self.model.row_of(sentence_id)
        rec = self.model.record(row) if row is not None else None
        if rec is None and self.state.project is not None:
            rec = self.state.project.get_sentence(sentence_id)
        self.labeling.show_sentence(rec, span)
        self.state.labelsChanged.emit(frozenset({sentence_id}))

    # ---- keeping up with the list and the store --------------------------------------------------
    def _load(self, ids: Sequence[int]) -> None:
        project = self.state.project
        if project is None or not ids:
            return
        try:
            overview = project.suggestion_overview(ids)
        except StoreError:  # e.g. a server gone for a moment: show no chips rather than fail
            log.exception("suggestions could not be read")
            return
        self._open.update(overview.open)
        self._done.difference_update(ids)
        self._done.update(overview.done)
        self._mark(ids)

    def _mark(self, ids: Sequence[int]) -> None:
        """Hand the list what its rows of these sentences show: suggested terms, done checks."""
        self.model.set_marks({i: RowMarks(tuple((s.text, s.predicted) for s in self._open.get(i, ())), i in self._done)
                              for i in ids})

    @Slot()
    def _on_project_changed(self) -> None:
        self.counter.set_project(*(self.state.job_target() if self.state.project is not None else (None, None)))
        self._on_counted(0)
        self.recount()

    @Slot()
    def recount(self) -> None:
        """Count the sentences with open suggestions again, off the GUI thread (after a key, a
        project opened, or its data changed); the count label follows when it is read."""
        self.counter.request()

    @Slot(object)
    def _on_counted(self, sentences: int) -> None:
        self._with_open = int(sentences)
        self.w.list_pane.set_suggestion_count(self._with_open)

    def shutdown(self) -> None:
        self.counter.shutdown()

    @Slot()
    def _on_list_reset(self) -> None:
        """A new list (project, filter or data): forget what was kept, read the first page's."""
        self._open.clear()
        self._done.clear()
        self._load([r.id for r in (self.model.record(i) for i in range(self.model.rowCount())) if r is not None])
        self._on_term_shown(None)

    @Slot(QModelIndex, int, int)
    def _on_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        self._load([r.id for r in (self.model.record(i) for i in range(first, last + 1)) if r is not None])

    @Slot(object)
    def _on_others_labeled(self, ids: frozenset[int]) -> None:
        """Someone else wrote to these sentences: read their suggestions again."""
        self._load(list(ids))
        rec = self.labeling.record
        if rec is not None and rec.id in ids:
            self._on_term_shown(None)
