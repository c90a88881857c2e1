"""Suggested terms in the window: dashed chips with their predicted polarity, A / X / Shift+A / D,
the "Open suggestions" filter, and Escape leaving the search box. Real SQLite project, real
widgets, suggestions stored with ``store_suggestions`` (no extractor needed)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from sqlalchemy import event

from app.state.list_filter import SUGGESTED, SuggestedFilter
from app.state.settings import Key
from app.theme.style import LABEL_COLORS
from app.views.sentence.sentence_list import MARKS_ROLE
from app_helpers import UNLABELED, click_word, key, make_project, row_of, show_sentence, store_term
from core.domain import Polarity
from core.storage import Project, SentenceFilter
from core.storage.suggestions import NewSuggestion

pytestmark = pytest.mark.slow
BATTERY = "The battery lasts all day but the screen scratches far too easily."
HOTEL = "Check-in was slow, although the room service was spotless."
SUPPORT = "Support answered within minutes."
POS, NEG = (0.03, 0.06, 0.91), (0.84, 0.10, 0.06)
SUGGESTED_WORDS = {BATTERY: (("battery", POS), ("screen", NEG)), HOTEL: (("Check-in", NEG), ("room service", POS)),
                   SUPPORT: (("Support", POS),), UNLABELED: (("staff", POS),)}


def span(text: str, word: str) -> tuple[int, int]:
    a = text.index(word)
    return a, a + len(word)


@pytest.fixture
def project_file(tmp_path: Path, small_tsv: Path, tiny_model: Path) -> Path:
    """The window tests' project, plus three raw sentences, and suggestions on them and on UNLABELED."""
    path = make_project(tmp_path / "reviews.db", small_tsv, tiny_model)
    with Project.open(path) as store:
        ids = {t: store.add_sentence(t).id for t in (BATTERY, HOTEL, SUPPORT)}
        ids[UNLABELED] = next(r.id for r in store.page(SentenceFilter(text="coffee")) if r.text == UNLABELED)
        store.store_suggestions([NewSuggestion(ids[t], *span(t, w), 0.9, probs)
                                 for t, words in SUGGESTED_WORDS.items() for w, probs in words])
    return path


def stored(path: Path, text: str, states=("open", "accepted", "rejected")) -> dict[str, str]:
    """{suggested text: state} of a sentence, read through a fresh connection."""
    with Project.open(path) as store:
        rec = next(r for r in store.page(SentenceFilter(text=text[:15])) if r.text == text)
        return {s.text: s.state for s in store.suggestions(rec.id, states)}


def gui_transactions(project):  # type: ignore[no-untyped-def]
    """A list that gets one entry per transaction the GUI thread commits (a read commits too)."""
    ended: list[str] = []
    gui = threading.get_ident()

    def commit(conn) -> None:  # type: ignore[no-untyped-def]
        if threading.get_ident() == gui:
            ended.append("transaction")

    event.listen(project.engine, "commit", commit)
    return ended, lambda: event.remove(project.engine, "commit", commit)


def chip_colors(view, start: int, end: int) -> set[str]:
    """The colours painted along the chip's bottom edge: the dashed outline's, and the tag's."""
    image = view.grab().toImage()
    rect = view.span_rect(start, end).adjusted(-view.PAD_X, -view.PAD_Y, view.PAD_X, view.PAD_Y)
    y = int(rect.bottom())
    return {QColor(image.pixel(QPoint(x, yy))).name() for x in range(int(rect.left()), int(rect.right()))
            for yy in (y - 1, y, y + 1)}


def test_suggestions_show_as_dashed_chips_in_their_polarity_and_tab_cycles_them_with_terms(
        qtbot, app, tmp_path: Path) -> None:
    window, controller = app
    view, panel = window.term_panel.sentence_view, window.term_panel
    show_sentence(window, controller, UNLABELED)
    assert [(s.start, s.end, s.predicted, s.tag) for s in view.suggestions()] == [
        (*span(UNLABELED, "staff"), Polarity.POSITIVE, "pos 91%")]
    assert [t.span for t in view.terms()] == [span(UNLABELED, "coffee")]
    assert view.selected_span() == span(UNLABELED, "coffee")  # an unlabeled term first, as before
    assert not panel.suggestion_hint.isVisible()
    key(qtbot, window, Qt.Key_Backtab)  # text order: "staff" (suggested) comes before "coffee"
    assert view.selected_suggestion().span == span(UNLABELED, "staff")
    assert controller.suggestions.current().text == "staff"
    assert panel.suggestion_hint.isVisible() and "<b>A</b> accept" in panel.suggestion_hint.text()
    assert "pos 91%" in panel.term_state.text() and "Suggested term “staff”" in panel.term_state.toolTip()
    key(qtbot, window, Qt.Key_Tab)
    assert view.selected_span() == span(UNLABELED, "coffee") and controller.suggestions.current() is None
    green = LABEL_COLORS[Polarity.POSITIVE].fill.name()
    assert green in chip_colors(view, *span(UNLABELED, "staff"))  # its outline in the polarity's colour
    assert LABEL_COLORS[Polarity.POSITIVE].fill.name() not in chip_colors(view, *span(UNLABELED, "kind"))
    window.resize(1366, 768)
    assert window.grab().save(str(tmp_path / "suggestions.png"))

    show_sentence(window, controller, HOTEL)  # no term: it starts on its first suggestion
    assert controller.suggestions.current().text == "Check-in"
    click_word(qtbot, window, "service")  # a word of a suggested phrase picks all of it
    assert controller.suggestions.current().text == "room service"
    assert LABEL_COLORS[Polarity.NEGATIVE].fill.name() in chip_colors(view, *span(HOTEL, "Check-in"))
    marks = window.sentence_model.index(row_of(window, HOTEL)).data(MARKS_ROLE)
    assert marks.suggested == (("Check-in", Polarity.NEGATIVE), ("room service", Polarity.POSITIVE)) and not marks.done
    show_sentence(window, controller, HOTEL)
    key(qtbot, window, Qt.Key_Backtab)  # before its first: the previous sentence, at its last suggestion
    assert view.text() == BATTERY and controller.suggestions.current().text == "screen"


def test_a_accepts_3_labels_it_and_x_rejects_for_good(qtbot, app, ctx, project_file: Path) -> None:
    window, controller = app
    view = window.term_panel.sentence_view
    ctx.settings.set(Key.AUTO_ADVANCE, True)
    show_sentence(window, controller, BATTERY)
    assert controller.suggestions.current().text == "battery"
    key(qtbot, window, Qt.Key_A)
    assert [t.span for t in view.terms()] == [span(BATTERY, "battery")]
    assert view.selected_span() == span(BATTERY, "battery") and view.selected_term() is not None
    assert [s.span for s in view.suggestions()] == [span(BATTERY, "screen")]
    assert not window.term_panel.suggestion_hint.isVisible()
    key(qtbot, window, Qt.Key_3)
    assert store_term(project_file, BATTERY, "battery").label == Polarity.POSITIVE
    assert controller.suggestions.current().text == "screen"  # the sentence's next suggestion, not the next sentence
    key(qtbot, window, Qt.Key_X)
    assert view.suggestions() == [] and controller.suggestions.current() is None
    assert stored(project_file, BATTERY) == {"battery": "accepted", "screen": "rejected"}

    assert controller.open_path(project_file)  # reopened: the rejected one stays gone
    window.list_pane.set_filter(SentenceFilter(text="battery lasts"))
    show_sentence(window, controller, BATTERY)
    assert view.suggestions() == [] and [t.span for t in view.terms()] == [span(BATTERY, "battery")]
    with Project.open(project_file) as store:
        store.store_suggestions([NewSuggestion(view_id(store, BATTERY), *span(BATTERY, "screen"))])
        assert stored(project_file, BATTERY, ("open",)) == {}  # a later run does not bring it back


def view_id(store: Project, text: str) -> int:
    return next(r.id for r in store.page(SentenceFilter(text=text[:15])) if r.text == text)


def test_a_suggested_term_labeled_straight_away_is_accepted(qtbot, app, project_file: Path) -> None:
    window, controller = app
    show_sentence(window, controller, HOTEL)
    key(qtbot, window, Qt.Key_1)  # no A first: the label adds the term, and the suggestion is closed
    assert store_term(project_file, HOTEL, "Check-in").label == Polarity.NEGATIVE
    assert stored(project_file, HOTEL) == {"Check-in": "accepted", "room service": "open"}
    assert [s.span for s in window.term_panel.sentence_view.suggestions()] == [span(HOTEL, "room service")]


def test_shift_a_accepts_all_and_d_toggles_terms_done(qtbot, app, project_file: Path) -> None:
    window, controller = app
    view = window.term_panel.sentence_view
    show_sentence(window, controller, HOTEL)
    key(qtbot, window, Qt.Key_A, Qt.ShiftModifier)
    assert [t.span for t in view.terms()] == [span(HOTEL, "Check-in"), span(HOTEL, "room service")]
    assert view.suggestions() == [] and view.selected_span() == span(HOTEL, "Check-in")
    assert stored(project_file, HOTEL) == {"Check-in": "accepted", "room service": "accepted"}
    assert not view.is_done()
    key(qtbot, window, Qt.Key_D)
    assert view.is_done() and window.actions["terms_done"].isChecked()
    with Project.open(project_file) as store:
        assert store.terms_done(view_id(store, HOTEL))
    assert window.sentence_model.index(row_of(window, HOTEL)).data(MARKS_ROLE).done
    key(qtbot, window, Qt.Key_D)
    assert not view.is_done() and not window.actions["terms_done"].isChecked()
    with Project.open(project_file) as store:
        assert not store.terms_done(view_id(store, HOTEL))
    show_sentence(window, controller, SUPPORT)  # done with a suggestion still open: it is closed
    key(qtbot, window, Qt.Key_D)
    assert view.suggestions() == [] and stored(project_file, SUPPORT) == {"Support": "rejected"}
    assert "1 open suggestion rejected" in window.statusBar().currentMessage()


@pytest.mark.parametrize("keys, transactions", [
    ((Qt.Key_A,), 2),                         # the accept (one write), then the sentence re-read (one read)
    (("shift", Qt.Key_A), 2),                 # all of them accepted (one write), the sentence re-read
    ((Qt.Key_X,), 1),                         # the reject; what changed is known, nothing to re-read
    ((Qt.Key_D,), 1),                         # "all terms done"; likewise
])
def test_a_suggestion_key_costs_one_write_and_at_most_one_read_on_the_gui_thread(
        qtbot, app, project_file: Path, keys, transactions: int) -> None:
    window, controller = app
    show_sentence(window, controller, BATTERY)
    ended, stop = gui_transactions(controller.state.project)
    try:
        if keys[0] == "shift":
            key(qtbot, window, keys[1], Qt.ShiftModifier)
        else:
            key(qtbot, window, keys[0])
    finally:
        stop()
    assert len(ended) == transactions
    assert stored(project_file, BATTERY, ("open",)) != {"battery": "open", "screen": "open"}  # it did write


def test_the_open_suggestions_filter_lists_exactly_those_sentences(qtbot, app, project_file: Path) -> None:
    window, controller = app
    qtbot.waitUntil(lambda: window.count_label.text().endswith("· 4 with open suggestions"))  # counted off-thread
    window.kind_combo.setCurrentIndex(window.kind_combo.findData(SUGGESTED))
    model = window.sentence_model
    assert isinstance(model.filter(), SuggestedFilter) and not window.label_combo.isEnabled()
    assert {model.record(r).text for r in range(model.rowCount())} == {BATTERY, HOTEL, SUPPORT, UNLABELED}
    assert window.count_label.text() == "4 sentences with open suggestions"
    show_sentence(window, controller, SUPPORT)
    key(qtbot, window, Qt.Key_X)
    window.search_edit.setText("was")  # the search narrows the filter too
    window.list_pane.apply_filter()
    assert {model.record(r).text for r in range(model.rowCount())} == {HOTEL, UNLABELED}
    window.search_edit.setText("")
    window.list_pane.apply_filter()
    assert {model.record(r).text for r in range(model.rowCount())} == {BATTERY, HOTEL, UNLABELED}
    assert controller.open_path(project_file)  # reopened where it was left: in the same filter
    assert isinstance(model.filter(), SuggestedFilter) and window.kind_combo.currentData() == SUGGESTED
    assert model.total() == 3
    window.kind_combo.setCurrentIndex(window.kind_combo.findData("all"))
    assert window.label_combo.isEnabled()
    qtbot.waitUntil(lambda: window.count_label.text().endswith("· 3 with open suggestions"))


def test_escape_in_the_search_box_gives_the_keys_back_to_the_sentence(qtbot, app) -> None:
    window, controller = app
    view = window.term_panel.sentence_view
    show_sentence(window, controller, UNLABELED)
    window.actions["find"].trigger()
    assert window.search_edit.hasFocus()
    qtbot.keyClick(window.search_edit, Qt.Key_Escape)
    assert view.hasFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Backtab)  # Tab moves between the terms again
    assert view.selected_span() == span(UNLABELED, "staff")


def test_escape_in_the_search_box_still_cancels_training(qtbot, app) -> None:
    window, controller = app
    window.actions["retrain"].trigger()
    assert window.actions["cancel_training"].isEnabled()
    window.actions["find"].trigger()
    qtbot.keyClick(window.search_edit, Qt.Key_Escape)
    assert window.term_panel.sentence_view.hasFocus()
    qtbot.waitUntil(lambda: controller.training.outcome is not None, timeout=60000)
    assert controller.training.outcome == "cancelled"
