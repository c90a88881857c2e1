"""Labeling: the chosen sentence and term, its prediction, the label keys, undo / redo.

Every label is one store transaction at the moment the key is pressed (no Save button), then
one read of that sentence; the counts are recomputed off the GUI thread (``StatsService``).
Whose a label is ("You", "Imported", a teammate) comes from the term itself or this window's
own writes, so showing a term costs no query. After a label the next unlabeled term is chosen
(``Key.AUTO_ADVANCE``): in the sentence first, then in the next sentence of the list. Undo / redo
walk this session's actions (new history rows); moving and filtering is ``navigation``'s part.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit

from app.controllers.navigation import SentenceNavigator
from app.controllers.terms import (REVIEW_SOURCES, label_state, next_unlabeled, origin_text, review_owner,
                                   stored_prediction, term_spans)
from app.dialogs.error_dialog import show_error
from app.services.predictor_service import PredictionService, PredictKey
from app.state.app_state import AppState
from app.state.settings import Key
from app.views.main_window import MainWindow
from core.domain import Polarity, Prediction
from core.storage import SentenceRecord, StoreError, TermRecord

log = logging.getLogger(__name__)


class LabelingController(QObject):
    def __init__(self, window: MainWindow, state: AppState, predictor: PredictionService) -> None:
        super().__init__(window)
        self.w, self.state, self.predictor = window, state, predictor
        self.panel = window.term_panel
        self.bars = window.term_panel.bars  # read by tests and the screenshot; written only through the panel
        self.model = window.list_pane.model
        self._record: SentenceRecord | None = None
        self._span: tuple[int, int] | None = None
        self._pending_span: tuple[int, int] | None = None
        self._undo: list[tuple[int, int]] = []  # (term id, sentence id), newest last
        self._redo: list[tuple[int, int]] = []
        self._asked: tuple[PredictKey, float] | None = None
        self._owner = "You"  # whose the shown term's current label is (see _owner_of)
        self._authors: dict[int, str | None] = {}  # term id -> author of its current human label, when known
        self.latencies_ms: list[float] = []  # click -> prediction shown, for requests the model answered
        # after a label, where to go when the sentence has no unlabeled term left (the suggestions' controller
        # sets it: the next suggested term); None there: the next sentence
        self.next_stop: Callable[[tuple[int, int] | None], tuple[int, int] | None] | None = None
        self.navigator = SentenceNavigator(window, self)
        self._connect_callbacks()

    def _connect_callbacks(self) -> None:
        a, panel = self.w.actions, self.panel
        a["label_negative"].triggered.connect(self.label_negative)
        a["label_neutral"].triggered.connect(self.label_neutral)
        a["label_positive"].triggered.connect(self.label_positive)
        a["accept"].triggered.connect(self.accept_prediction)
        a["clear"].triggered.connect(self.clear_label)
        a["undo"].triggered.connect(self.undo)
        a["redo"].triggered.connect(self.redo)
        panel.labelClicked.connect(self.label_clicked)
        panel.acceptClicked.connect(self.accept_prediction)
        panel.clearClicked.connect(self.clear_label)
        panel.termClicked.connect(self.select_span)
        panel.spanSelected.connect(self._on_span_selected)
        self.w.list_pane.rowChanged.connect(self._on_row_changed)
        self.model.modelReset.connect(self._on_list_reset)
        self.predictor.prediction.connect(self._on_prediction)
        self.predictor.state_changed.connect(self._on_predictor_state)
        self.state.projectChanged.connect(self._on_project_changed)
        self.state.datasetChanged.connect(self._on_dataset_changed)
        self.state.predictionsChanged.connect(self._on_predictions_changed)
        self.state.othersLabeled.connect(self._on_others_labeled)

    # ---- what is shown -------------------------------------------------------------------------
    @property
    def record(self) -> SentenceRecord | None:
        return self._record

    @property
    def span(self) -> tuple[int, int] | None:
        return self._span

    def current_term(self) -> TermRecord | None:
        if self._record is None or self._span is None:
            return None
        return next((t for t in self._record.terms if (t.start, t.end) == self._span), None)

    def show_sentence(self, rec: SentenceRecord | None, span: tuple[int, int] | None = None) -> None:
        """Show ``rec`` and pick ``span`` (default: its first unlabeled term, else its first term)."""
        panel = self.panel
        self._record = rec
        if rec is None:
            self._span = None
            where = "No sentence" if self.state.project is not None else "No project open"
            panel.show_sentence("", (), "No sentence matches" if self.state.project is not None else "No project open")
            panel.show_position(where)
            panel.show_term(None)
            panel.show_terms((), None)
            panel.show_empty()
            self.state.termShown.emit(None)
            return
        panel.show_sentence(rec.text, term_spans(rec))
        row = self.model.row_of(rec.id)
        where = f"Sentence {row + 1} of {self.model.total()}" if row is not None else f"Sentence #{rec.id}"
        panel.show_position(where, origin_text(rec))
        if span is None:
            first = next((t for t in rec.terms if t.label is None), rec.terms[0] if rec.terms else None)
            span = (first.start, first.end) if first is not None else None
        if span is None:
            self._span = None
            panel.clear_selection()
            panel.show_term(None)
            panel.show_terms(rec.terms, None)
            panel.show_empty("No terms in this sentence", "Click a word or drag over a phrase to add one")
            self.state.termShown.emit(None)
        else:
            self.select_span(*span)

    @Slot(int, int)
    def select_span(self, start: int, end: int) -> None:
        """Pick ``[start, end)`` of the shown sentence, as a click would."""
        if not self.panel.select_span(start, end):
            self._on_span_selected(start, end)

    @Slot(int, int)
    def _on_span_selected(self, start: int, end: int) -> None:
        self._span = (start, end)
        self._show_term()

    def _show_term(self) -> None:
        rec, span, panel = self._record, self._span, self.panel
        if rec is None or span is None:
            return
        term = self.current_term()
        human = term.label if term is not None else None
        pred = stored_prediction(term)
        if pred is not None:
            self.predictor.remember(rec.text, span[0], span[1], pred)
        else:
            pred = self.predictor.request(rec.text, span[0], span[1])
            key = self.predictor.key(rec.text, span[0], span[1])
            self._asked = (key, time.perf_counter()) if pred is None and key is not None else None
        self._owner = self._owner_of(term)
        panel.show_term(rec.text[span[0]:span[1]], label_state(term, self._owner), human, can_accept=pred is not None)
        panel.show_terms(rec.terms, span)
        self.state.termShown.emit(term)
        if pred is not None:
            panel.show_prediction(pred, human, self._owner)
        elif self.predictor.state == "loading":
            panel.show_loading(self.predictor.loading_text, human, self._owner)  # this term's label
        elif self.predictor.state == "ready":
            panel.show_loading("Predicting…", human, self._owner)
        elif human is None:
            panel.show_empty("No model yet", "Label at least 10 terms, then Retrain (Ctrl+R)")
        else:
            panel.show_prediction(None, human, self._owner)

    def _owner_of(self, term: TermRecord | None) -> str:
        """Whose the current label is: "You", "Imported", or the name of the other annotator.

        From the term's source, or from this window's own writes; only a label written
        elsewhere (another window or person) costs one history read, once per term."""
        if term is None or term.label is None:
            return "You"
        if term.label_source == "import":
            return "Imported"
        if term.label_source in REVIEW_SOURCES and self.state.project is not None:  # say where it came from
            return review_owner(term.label_source, self.state.project.history(term.id, False)[-1], self.state.author)
        if term.id not in self._authors:
            rows = self.state.project.history(term.id, include_model=False) if self.state.project is not None else []
            self._authors[term.id] = rows[-1].author if rows else None
        author = self._authors[term.id]
        return "You" if author in (None, self.state.author) else author

    @Slot(object, object)
    def _on_prediction(self, key: PredictKey, pred: Prediction) -> None:
        rec, span = self._record, self._span
        if rec is None or span is None or (key.sentence, key.start, key.end) != (rec.text, span[0], span[1]):
            return
        if self._asked is not None and self._asked[0] == key:
            ms = (time.perf_counter() - self._asked[1]) * 1000
            self.latencies_ms.append(ms)
            log.debug("prediction shown %.1f ms after the term was picked", ms)
            self._asked = None
        term = self.current_term()
        self.panel.show_prediction(pred, term.label if term is not None else None, self._owner)

    @Slot(str, str)
    def _on_predictor_state(self, state: str, _message: str) -> None:
        if self._span is not None:
            self._show_term()

    # ---- labels --------------------------------------------------------------------------------
    @Slot()
    def label_negative(self) -> None:
        self.label_clicked(Polarity.NEGATIVE)

    @Slot()
    def label_neutral(self) -> None:
        self.label_clicked(Polarity.NEUTRAL)

    @Slot()
    def label_positive(self) -> None:
        self.label_clicked(Polarity.POSITIVE)

    @Slot(object)
    def label_clicked(self, polarity: Polarity) -> None:
        """A label key or button: write it, then (the setting on) go on to the next unlabeled term."""
        self.set_label(polarity, advance=True)

    @Slot()
    def accept_prediction(self) -> None:
        focus = QApplication.focusWidget()
        if self.w.list_pane.search_has_focus():  # Enter in the search box: search now, then label the results
            self.w.list_pane.apply_filter()
            self.panel.focus_sentence()
            return
        if isinstance(focus, (QLineEdit, QAbstractSpinBox)):
            return
        pred = self.panel.prediction()
        if pred is not None:
            self.set_label(pred.label, advance=True)

    @Slot()
    def clear_label(self) -> None:
        term = self.current_term()
        if term is not None and term.label is not None:
            self.set_label(None)

    @Slot(object)
    def set_label(self, polarity: Polarity | None, advance: bool = False) -> None:
        """Write the label of the chosen term now (adding the term first if the span is new);
        with ``advance`` (and the setting on), go on to the next unlabeled term."""
        project, rec, span = self.state.project, self._record, self._span
        if project is None or rec is None or span is None:
            return
        term = self.current_term()
        try:
            if term is None:
                term = project.add_term(rec.id, span[0], span[1])
            event = project.set_label(term.id, polarity)
        except StoreError as exc:
            show_error(self.w, "The label was not saved", exc)
            return
        self.state.note_own(event)
        self._authors[term.id] = event.author
        self._undo.append((term.id, rec.id))
        self._redo.clear()
        fresh = self._reload(rec.id, span)
        self.w.show_message(f"“{term.text}” → {polarity.value if polarity else 'no label'}", 3000)
        if advance and polarity is not None and self.state.ctx.settings.get(Key.AUTO_ADVANCE):
            self._advance(fresh, span)

    def _advance(self, rec: SentenceRecord | None, span: tuple[int, int]) -> None:
        """On to the next unlabeled term of this sentence, else to the next sentence of the list."""
        if rec is None or self._record is None or self._record.id != rec.id:
            return
        nxt = next_unlabeled(rec, span)
        stop = (nxt.start, nxt.end) if nxt is not None else self.next_stop(span) if self.next_stop else None
        if stop is not None:
            self.select_span(*stop)
        else:
            self.navigator.next_sentence()

    @Slot()
    def undo(self) -> None:
        self._undo_redo(self._undo, self._redo, undo=True)

    @Slot()
    def redo(self) -> None:
        self._undo_redo(self._redo, self._undo, undo=False)

    def _undo_redo(self, source: list[tuple[int, int]], target: list[tuple[int, int]], undo: bool) -> None:
        project = self.state.project
        if project is None:
            return
        own = bool(source)  # this person's own last action (else the chosen term's history)
        chosen = self.current_term()  # with nothing this session: act on the chosen term's own history
        if not source and chosen is None:
            self.w.show_message("Nothing to " + ("undo" if undo else "redo"), 3000)
            return
        term_id, sentence_id = source.pop() if source else (chosen.id, chosen.sentence_id)  # type: ignore[union-attr]
        try:
            only_by = self.state.author if own else None
            event = project.undo(term_id, only_by=only_by) if undo else project.redo(term_id)
        except StoreError as exc:  # another annotator's label came after this person's
            self.w.show_message(f"Not undone: {exc}", 6000)
            return
        self.state.note_own(event)
        if event is None:
            self.w.show_message("Nothing to " + ("undo" if undo else "redo") + " for this term", 3000)
            return
        self._authors.pop(term_id, None)  # an undo may bring back someone else's label
        target.append((term_id, sentence_id))
        rec = self._reload(sentence_id, None, term_id)
        term = next((t for t in rec.terms if t.id == term_id), None) if rec is not None else None
        what = event.polarity.value if event.polarity else "no label"
        done = "Undone" if undo else "Redone"
        self.w.show_message(f"{done}: “{term.text if term else ''}” is now {what}", 3000)

    def _reload(self, sentence_id: int, span: tuple[int, int] | None,
                term_id: int | None = None) -> SentenceRecord | None:
        """Re-read a sentence after a write (one query), show it with ``span`` (or term ``term_id``)
        chosen, and announce the change. Returns the fresh record."""
        project = self.state.project
        assert project is not None
        self.model.refresh([sentence_id])
        row = self.model.row_of(sentence_id)
        rec = self.model.record(row) if row is not None else project.get_sentence(sentence_id)
        if term_id is not None and rec is not None:
            span = next(((t.start, t.end) for t in rec.terms if t.id == term_id), span)
        if row is not None and self.w.list_pane.current_row() != row:
            self._pending_span = span
            self.w.list_pane.select_row(row)
        else:
            self.show_sentence(rec, span)
        self.state.labelsChanged.emit(frozenset({sentence_id}))
        return rec

    # ---- moving --------------------------------------------------------------------------------
    def select_row(self, row: int, span: tuple[int, int] | None = None) -> None:
        """Make list row ``row`` current, and so shown, with ``span`` chosen (default: its first unlabeled term)."""
        if row == self.w.list_pane.current_row():  # no change of row to wait for: show it now
            self.show_sentence(self.model.record(row), span)
            return
        self._pending_span = span
        self.navigator.select_row(row)

    @Slot(int)
    def _on_row_changed(self, row: int) -> None:
        span, self._pending_span = self._pending_span, None
        self.show_sentence(self.model.record(row) if row >= 0 else None, span)

    # ---- list and store changes ---------------------------------------------------------------
    @Slot()
    def _on_list_reset(self) -> None:
        self.w.list_pane.set_count(self.model.total())
        keep = self._record.id if self._record is not None else None
        row = self.model.row_of(keep) if keep is not None else None
        if self.model.rowCount():
            self._pending_span = self._span if row is not None else None
            self.w.list_pane.select_row(row if row is not None else 0)
        else:
            self.show_sentence(None)

    @Slot()
    def _on_project_changed(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._authors.clear()
        self._record, self._span = None, None
        self.model.set_project(self.state.project)
        self.panel.focus_sentence()  # keys and Tab work at once

    @Slot()
    def _on_dataset_changed(self) -> None:
        self.model.reset()

    @Slot(object)
    def _on_others_labeled(self, ids: frozenset[int]) -> None:
        """Labels written elsewhere: re-read those rows, and the sentence on screen keeping the person's
        span (a new, unsaved one too). While a mouse button is down (a drag) the sentence waits."""
        self.model.refresh(ids)
        rec, project = self._record, self.state.project
        if rec is None or project is None:
            return
        self._authors.clear()  # whose labels those are now is no longer known
        if rec.id not in ids:
            return
        if QApplication.mouseButtons() != Qt.NoButton:
            QTimer.singleShot(150, self, self._on_others_labeled_later)
            return
        row = self.model.row_of(rec.id)
        self.show_sentence((self.model.record(row) if row is not None else None) or project.get_sentence(rec.id),
                           self._span)

    @Slot()
    def _on_others_labeled_later(self) -> None:
        if self._record is not None:
            self._on_others_labeled(frozenset({self._record.id}))

    @Slot()
    def _on_predictions_changed(self) -> None:
        self.model.refresh()
        if self._record is not None:
            row = self.model.row_of(self._record.id)
            rec = self.model.record(row) if row is not None else self._record
            self.show_sentence(rec, self._span)
