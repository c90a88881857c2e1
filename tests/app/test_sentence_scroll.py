"""A long sentence in the term panel: shown whole when there is room, scrolled to the selected term
when there is not (a 1366x768 screen once hid a term's line, with no way to scroll to it)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt

from app.views.term_panel import TermPanel
from app.views.sentence.sentence_view import TermSpan

LONG = ("The pasta was cooked exactly the way I like it, the sauce had a real depth of flavour that you rarely find "
        "in places at this price, and although the dining room got noisy around eight the waiter kept checking on us "
        "without ever being pushy, which made the whole evening feel relaxed.")


def span(word: str) -> tuple[int, int]:
    start = LONG.index(word)
    return start, start + len(word)


def panel_of(qtbot, width: int, height: int) -> TermPanel:
    panel = TermPanel()
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.show()
    qtbot.waitExposed(panel)
    terms = [TermSpan(*span(w), None, None) for w in ("pasta", "sauce", "dining room", "waiter")]
    panel.show_sentence(LONG, terms)
    qtbot.wait(50)  # the layout settles
    return panel


def visible_in_scroll(panel: TermPanel, start: int, end: int) -> bool:
    scroll, view = panel.sentence_scroll, panel.sentence_view
    rect = view.span_rect(start, end).toAlignedRect()
    top_left = view.mapTo(scroll.viewport(), rect.topLeft())
    return scroll.viewport().rect().contains(QRect(top_left, rect.size()))


def test_a_tall_panel_shows_the_whole_sentence_without_a_scroll_bar(qtbot) -> None:
    panel = panel_of(qtbot, 560, 1000)
    scroll, view = panel.sentence_scroll, panel.sentence_view
    assert scroll.viewport().height() >= view.heightForWidth(scroll.viewport().width())
    assert not scroll.verticalScrollBar().isVisible()
    assert all(visible_in_scroll(panel, *span(w)) for w in ("pasta", "waiter", "relaxed"))


def test_a_short_panel_scrolls_the_sentence_to_the_selected_term(qtbot) -> None:
    panel = panel_of(qtbot, 560, 560)
    scroll, view = panel.sentence_scroll, panel.sentence_view
    assert scroll.viewport().height() < view.heightForWidth(scroll.viewport().width())  # it does not fit
    assert scroll.verticalScrollBar().isVisible()
    assert not visible_in_scroll(panel, *span("relaxed"))
    panel.select_span(*span("waiter"))  # as picking it in the terms table does
    assert visible_in_scroll(panel, *span("waiter"))
    panel.step_term(-1)  # Shift+Tab goes back to an earlier line
    panel.step_term(-1)
    panel.step_term(-1)
    assert view.selected_span() == span("pasta") and visible_in_scroll(panel, *span("pasta"))


def test_the_sentence_keeps_at_least_two_lines_and_the_terms_table_gives_way(qtbot) -> None:
    panel = panel_of(qtbot, 560, 560)
    scroll, view = panel.sentence_scroll, panel.sentence_view
    assert scroll.height() >= 2 * view.line_pitch()
    # a new, short sentence asks for less room and starts at its top
    panel.show_sentence("Great soup.", [TermSpan(6, 10, None, None)])
    qtbot.wait(50)
    assert scroll.verticalScrollBar().value() == 0 and not scroll.verticalScrollBar().isVisible()
    assert visible_in_scroll(panel, 6, 10)


def test_a_click_in_the_scrolled_sentence_still_picks_the_word_under_the_pointer(qtbot) -> None:
    panel = panel_of(qtbot, 560, 560)
    view = panel.sentence_view
    panel.select_span(*span("waiter"))
    start, end = span("kept")
    target = view.span_rect(start, end).center().toPoint()
    assert visible_in_scroll(panel, start, end)
    qtbot.mouseClick(view, Qt.LeftButton, pos=QPoint(target))
    assert view.selected_span() == (start, end)


def test_the_window_with_a_long_sentence_still_fits_1366x768(qtbot, app) -> None:
    from PySide6.QtWidgets import QApplication

    from app.theme.style import apply_style

    apply_style(QApplication.instance())  # the app's own paddings and fonts, as make_application sets them
    window, _controller = app
    window.resize(1350, 690)  # 1366x768 less the frame and a task bar
    window.term_panel.show_sentence(LONG, [TermSpan(*span(w), None, None) for w in ("pasta", "waiter")])
    window.term_panel.select_span(*span("waiter"))
    qtbot.wait(50)
    assert window.minimumSizeHint().height() <= 690 and window.height() <= 690
    assert visible_in_scroll(window.term_panel, *span("waiter"))
    button = window.term_panel.label_buttons
    assert all(window.rect().contains(QRect(b.mapTo(window, QPoint(0, 0)), b.size())) for b in button.values())
