"""The Aspects tab and "label every occurrence", driven as a person would, on a real SQLite project
with labeled terms, an unlabeled one and stored suggestions (no model is needed for either)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from app.context import AppContext
from app.main import build
from app.widgets.charts.aspect_chart import segments, split_counts, tooltip_html
from app_helpers import make_settings, show_window
from core.domain import Polarity
from core.storage import Project
from core.storage.suggestions import NewSuggestion
from core.storage.summary import CSV_COLUMNS

POS = (0.05, 0.05, 0.9)
S1 = "The pizza was great and the staff were rude."
S2 = "Pizzas arrived cold."
S3 = "The staff smiled at us."
S4 = "We loved the pizza crust."
S5 = "The wine was fine."
S6 = "Nothing to say about this place."


def span(text: str, word: str) -> tuple[int, int]:
    a = text.index(word)
    return a, a + len(word)


@pytest.fixture
def aspects_project(tmp_path: Path) -> Path:
    """pizza: 2 labeled (+, -) and 1 suggested (+); staff: 1 labeled (-), 1 suggested (+); wine: 1 unlabeled."""
    from app.services.project_service import create_project

    path = tmp_path / "aspects.db"
    create_project(path, None)
    with Project.open(path, author="ann") as p:
        ids = {text: p.add_sentence(text).id for text in (S1, S2, S3, S4, S5, S6)}
        for text, word, label in ((S1, "pizza", Polarity.POSITIVE), (S1, "staff", Polarity.NEGATIVE),
                                  (S2, "Pizzas", Polarity.NEGATIVE)):
            p.set_label(p.add_term(ids[text], *span(text, word)).id, label)
        p.add_term(ids[S5], *span(S5, "wine"))
        p.store_suggestions([NewSuggestion(ids[S3], *span(S3, "staff"), 0.9, POS),
                             NewSuggestion(ids[S4], *span(S4, "pizza"), 0.8, POS)], extractor="test")
    return path


@pytest.fixture
def studio(qtbot, tmp_path: Path, tiny_base_model: Path, aspects_project: Path):  # type: ignore[no-untyped-def]
    ctx = AppContext.create(tmp_path / "data", make_settings(tmp_path / "s.ini", tiny_base_model), None)
    window, controller = build(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 740)
    show_window(qtbot, window)
    assert controller.open_path(aspects_project)
    yield window, controller
    window.close()


def wait_summary(qtbot, controller, **query) -> list:  # type: ignore[no-untyped-def]
    aspects = controller.aspects

    def ready() -> bool:
        answer = aspects.answer
        return answer is not None and all(getattr(answer.query, k) == v for k, v in query.items()) \
            and not aspects.service.busy and not aspects._timer.isActive()
    qtbot.waitUntil(ready, timeout=15000)
    return aspects.view.chart.rows()


def test_ctrl_u_shows_the_aspects_with_their_counts_apart(qtbot, studio) -> None:
    window, controller = studio
    assert window.tabs.currentWidget() is not window.aspects_view
    qtbot.keyClick(window.term_panel.sentence_view, Qt.Key_U, Qt.ControlModifier)
    assert window.tabs.currentWidget() is window.aspects_view
    rows = wait_summary(qtbot, controller, top=15, accepted_only=False)
    assert [r.term for r in rows] == ["pizza", "staff", "wine"]
    pizza, staff, wine = rows
    assert (pizza.mentions, pizza.negative, pizza.positive, pizza.labeled, pizza.suggested) == (3, 1, 2, 2, 1)
    assert set(pizza.forms) == {"pizza", "pizzas"}
    counts = split_counts(pizza)
    assert counts[(Polarity.POSITIVE, True)] == 1 and counts[(Polarity.POSITIVE, False)] == 1
    assert counts[(Polarity.NEGATIVE, True)] == 1 and counts[(Polarity.NEGATIVE, False)] == 0
    assert (staff.mentions, staff.negative, staff.positive) == (2, 1, 1)
    assert (wine.mentions, wine.unknown) == (1, 1) and segments(wine) == []
    # negative left of the centre line, positive right of it, solid (labeled) pieces nearest the centre
    pieces = segments(pizza)
    assert [(s.polarity, s.human) for s in pieces] == [(Polarity.NEGATIVE, True), (Polarity.POSITIVE, True),
                                                       (Polarity.POSITIVE, False)]
    assert pieces[0].hi <= 0 <= pieces[1].lo < pieces[2].lo
    chart = window.aspects_view.chart
    assert chart.bar_rect(0).width() > chart.bar_rect(1).width() > 0  # 3 rated mentions against 2


def test_top_n_and_accepted_only_change_the_chart(qtbot, studio) -> None:
    window, controller = studio
    view = window.aspects_view
    window.show_tab("aspects")
    wait_summary(qtbot, controller, top=15)
    view.top_spin.setValue(1)
    assert [r.term for r in wait_summary(qtbot, controller, top=1)] == ["pizza"]
    view.top_spin.setValue(15)
    view.accepted_check.setChecked(True)
    rows = wait_summary(qtbot, controller, top=15, accepted_only=True)
    assert [(r.term, r.mentions, r.suggested) for r in rows] == [("pizza", 2, 0), ("staff", 1, 0), ("wine", 1, 0)]


def test_a_new_label_updates_the_summary(qtbot, studio) -> None:
    window, controller = studio
    window.show_tab("aspects")
    wait_summary(qtbot, controller)
    project = controller.state.project
    wine = next(t for r in project.page(limit=10) for t in r.terms if t.text == "wine")
    project.set_label(wine.id, Polarity.POSITIVE)
    controller.state.labelsChanged.emit(frozenset({wine.sentence_id}))
    qtbot.waitUntil(lambda: next(r for r in controller.aspects.view.chart.rows() if r.term == "wine").positive == 1,
                    timeout=15000)


def test_hover_tells_the_counts_and_an_example(qtbot, studio) -> None:
    window, controller = studio
    window.show_tab("aspects")
    rows = wait_summary(qtbot, controller)
    text = tooltip_html(rows[0])
    assert "3 mentions" in text and "2 labeled" in text and "1 suggested" in text
    assert any(example in text for example in (S1, S2))  # a labeled sentence comes first
    chart = window.aspects_view.chart
    centre = chart.bar_rect(1).center().toPoint()
    QApplication.sendEvent(chart, QHelpEvent(QHelpEvent.ToolTip, centre, chart.mapToGlobal(centre)))
    qtbot.waitUntil(lambda: "staff" in QToolTip.text(), timeout=3000)


def test_a_click_on_a_bar_lists_that_aspects_sentences(qtbot, studio) -> None:
    window, controller = studio
    window.show_tab("aspects")
    wait_summary(qtbot, controller)
    chart = window.aspects_view.chart
    qtbot.mouseClick(chart, Qt.LeftButton, pos=chart.bar_rect(0).center().toPoint())
    assert window.search_edit.text() == "pizza"
    model = window.sentence_model
    assert sorted(model.record(r).text for r in range(model.rowCount())) == sorted([S1, S2, S4])
    labeling = controller.labeling
    assert labeling.record is not None and labeling.record.text == model.record(0).text
    start, end = labeling.span
    assert labeling.record.text[start:end].lower().startswith("pizza")


def test_arrow_keys_and_enter_show_an_aspects_sentences_too(qtbot, studio) -> None:
    window, controller = studio
    window.show_tab("aspects")
    wait_summary(qtbot, controller)
    chart = window.aspects_view.chart
    chart.setFocus()
    for key in (Qt.Key_Down, Qt.Key_Down, Qt.Key_Down, Qt.Key_Up):
        qtbot.keyClick(chart, key)
    assert chart.hovered() == 1
    qtbot.keyClick(chart, Qt.Key_Return)
    assert window.search_edit.text() == "staff"
    model = window.sentence_model
    assert sorted(model.record(r).text for r in range(model.rowCount())) == sorted([S1, S3])


def test_export_csv_writes_every_aspect(qtbot, studio, tmp_path: Path) -> None:
    window, controller = studio
    window.show_tab("aspects")
    window.aspects_view.top_spin.setValue(1)
    wait_summary(qtbot, controller, top=1)
    target = tmp_path / "out" / "aspects.csv"
    target.parent.mkdir()
    with qtbot.waitSignal(controller.aspects.service.exported, timeout=15000) as done:
        assert controller.aspects.export_csv(target)
    assert done.args == [str(target), 3]
    with target.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == ["pizza", "staff", "wine"]  # all of them, not only the top 1 shown
    assert rows[1][CSV_COLUMNS.index("mentions")] == "3"


def open_dialog(qtbot, window, controller, text: str, word: str):  # type: ignore[no-untyped-def]
    model = window.sentence_model
    row = next(r for r in range(model.rowCount()) if model.record(r).text == text)
    controller.labeling.select_row(row, span(text, word))
    assert controller.aspects.picked_text() == word
    qtbot.keyClick(window.term_panel.sentence_view, Qt.Key_L, Qt.ControlModifier)
    dialog = controller.aspects.dialog
    assert dialog is not None and dialog.text() == word
    qtbot.waitUntil(lambda: dialog.preview() is not None, timeout=15000)
    return dialog


def test_label_every_occurrence_previews_then_adds_and_labels(qtbot, studio, aspects_project: Path) -> None:
    window, controller = studio
    dialog = open_dialog(qtbot, window, controller, S1, "staff")
    assert (dialog.preview().sentences, dialog.preview().new_terms) == (2, 1)  # S1's is a term already
    assert dialog.ok_button.isEnabled() and dialog.ok_button.text() == "Add 1 term"
    dialog.polarity_combo.setCurrentIndex(dialog.polarity_combo.findData(Polarity.POSITIVE))
    with qtbot.waitSignal(controller.aspects.service.applied, timeout=15000):
        qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    with Project.open(aspects_project) as store:
        rec = next(r for r in store.page(limit=10) if r.text == S3)
        (term,) = rec.terms
        assert (term.text, term.label) == ("staff", Polarity.POSITIVE)
        assert [(e.author, e.source) for e in store.history(term.id)] == [(controller.state.author, "human")]
        assert store.suggestions(rec.id) == []  # the suggestion there became this term
    model = window.sentence_model
    row = next(r for r in range(model.rowCount()) if model.record(r).text == S3)
    qtbot.waitUntil(lambda: [t.label for t in model.record(row).terms] == [Polarity.POSITIVE], timeout=5000)


def test_cancel_adds_nothing(qtbot, studio, aspects_project: Path) -> None:
    window, controller = studio
    dialog = open_dialog(qtbot, window, controller, S4, "crust")
    assert (dialog.preview().sentences, dialog.preview().new_terms) == (1, 1)
    dialog.text_edit.setText("wine")  # a term already: nothing to add, OK stays off
    qtbot.waitUntil(lambda: dialog.preview() is not None and dialog.preview().text == "wine", timeout=15000)
    assert dialog.preview().new_terms == 0 and not dialog.ok_button.isEnabled()
    dialog.text_edit.setText("crust")
    qtbot.waitUntil(lambda: dialog.preview() is not None and dialog.ok_button.isEnabled(), timeout=15000)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.LeftButton)
    assert controller.aspects.dialog is None
    with Project.open(aspects_project) as store:
        assert next(r for r in store.page(limit=10) if r.text == S4).terms == ()
        assert store.preview_label_everywhere("crust").new_terms == 1


def test_the_five_tabs_fit_at_1366_wide(qtbot, studio) -> None:
    window, _controller = studio
    window.resize(1350, 690)  # 1366x768 less the frame and a task bar
    QApplication.processEvents()
    bar = window.tabs.tabBar()
    assert window.tabs.count() == 5
    assert bar.sizeHint().width() <= window.tabs.width()
    assert all(bar.tabRect(i).right() <= window.tabs.width() for i in range(bar.count()))
    assert bar.tabText(bar.count() - 1) == "Aspects"
