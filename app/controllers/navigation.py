"""Moving through the sentence list: next / previous, a given row, the search box and filters,
the keys (↓ / ↑ in the sentence change sentence, Tab / Shift+Tab in the list pick a term), and
the place a project was left, restored when it opens again.

It only moves the list's current row or changes its filter, through the list pane's methods;
``LabelingController`` shows the sentence the list points at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, Slot

from app.state.places import Place, load_place, place_of, save_place
from app.views.main_window import MainWindow
from app.state.list_filter import ListFilter
from core.storage import SentenceRecord

if TYPE_CHECKING:
    from app.controllers.labeling_controller import LabelingController


class SentenceNavigator(QObject):
    def __init__(self, window: MainWindow, labeling: "LabelingController") -> None:
        super().__init__(labeling)
        self.w, self.labeling = window, labeling
        self.pane = window.list_pane
        self.model = window.list_pane.model
        # the suggested terms' spans of a sentence (the suggestions' controller sets it): Tab cycles them too
        self.suggested_spans: Callable[[SentenceRecord], list[tuple[int, int]]] | None = None
        self._connect_callbacks()

    def _connect_callbacks(self) -> None:
        a, panel = self.w.actions, self.w.term_panel
        a["next_sentence"].triggered.connect(self.next_sentence)
        a["prev_sentence"].triggered.connect(self.previous_sentence)
        a["find"].triggered.connect(self.focus_search)
        a["cancel_training"].triggered.connect(self.leave_search)  # Escape cancels training from the box too
        self.pane.searchLeft.connect(self.leave_search)
        panel.nextClicked.connect(self.next_sentence)
        panel.previousClicked.connect(self.previous_sentence)
        panel.sentenceStep.connect(self._step)
        panel.termsEnded.connect(self._on_terms_ended)
        self.pane.filterChanged.connect(self.apply_filter)
        self.pane.termStep.connect(panel.step_term)

    # ---- moving --------------------------------------------------------------------------------
    @Slot()
    def next_sentence(self) -> None:
        self._step(+1)

    @Slot()
    def previous_sentence(self, last_term: bool = False) -> None:
        """The previous sentence; ``last_term``: with its last term chosen (Shift+Tab from the first term)."""
        row = self.pane.current_row() - 1
        rec = self.model.record(row)
        spans = [(t.start, t.end) for t in rec.terms] if rec is not None else []
        if rec is not None and self.suggested_spans is not None:
            spans += self.suggested_spans(rec)
        if last_term and spans:
            self.labeling.select_row(row, max(spans))
        else:
            self._step(-1)

    @Slot(int)
    def _on_terms_ended(self, step: int) -> None:
        """Tab at the last term goes on to the next sentence (Shift+Tab at the first: the previous one)."""
        if step > 0:
            self.next_sentence()
        else:
            self.previous_sentence(last_term=True)

    @Slot(int)
    def _step(self, delta: int) -> None:
        current = self.pane.current_row()
        self.pane.select_row(0 if current < 0 else current + delta)

    def select_row(self, row: int) -> None:
        self.pane.select_row(row, center=True)

    @Slot()
    def focus_search(self) -> None:
        self.pane.focus_search()

    @Slot()
    def leave_search(self) -> None:
        """Escape in the search box: the filter stays, the keys go back to the sentence (Tab: next term)."""
        if self.pane.search_has_focus():
            self.w.term_panel.focus_sentence()

    # ---- filters -------------------------------------------------------------------------------
    @Slot()
    @Slot(object)
    def apply_filter(self, f: ListFilter | None = None) -> None:
        self.model.set_filter(f if f is not None else self.pane.current_filter())

    # ---- the place a project was left ------------------------------------------------------------
    def save_place(self, location: str | None) -> None:
        rec, row = self.labeling.record, self.pane.current_row()
        if location and rec is not None and row >= 0:
            save_place(self.w.settings, location, place_of(self.model.filter(), rec.id, row, self.labeling.span))

    def restore_place(self, location: str | None) -> bool:
        """Go back to where ``location`` was left: its filter, sentence and term. False: nothing stored."""
        place = load_place(self.w.settings, location) if location else None
        if place is None:
            return False
        if place.filter != self.model.filter():
            self.pane.set_filter(place.filter)  # resets the list; the first row is shown meanwhile
        row = self._find(place)
        if row is None:
            return False
        self.labeling.select_row(row, place.span)
        return True

    def _find(self, place: Place) -> int | None:
        """The sentence's row now: looked for up to a page past where it was (the list loads by pages)."""
        row = self.model.row_of(place.sentence_id)
        while row is None and self.model.rowCount() <= place.row and self.model.canFetchMore():
            self.model.fetchMore()
            row = self.model.row_of(place.sentence_id)
        if row is None and self.model.canFetchMore():
            self.model.fetchMore()
            row = self.model.row_of(place.sentence_id)
        return row
