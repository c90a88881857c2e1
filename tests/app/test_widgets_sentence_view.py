"""SentenceView: word boundaries (pure) and real mouse/keyboard interaction (offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from app.views.sentence.sentence_view import SentenceView, TermSpan, snap_to_words, word_at, word_spans
from core.domain import Polarity

SENTENCE = "The battery life is great, but the screen didn't survive and the wi-fi card is slow."


def span_of(text: str, sentence: str = SENTENCE) -> tuple[int, int]:
    start = sentence.index(text)
    return start, start + len(text)


def words(text: str) -> list[str]:
    return [text[s:e] for s, e in word_spans(text)]


# ---- pure helpers ---------------------------------------------------------------------------
def test_words_keep_internal_apostrophes_and_hyphens() -> None:
    assert words("I didn't like the wi-fi, did you?") == ["I", "didn't", "like", "the", "wi-fi", "did", "you"]


def test_words_exclude_punctuation_and_edge_joiners() -> None:
    assert words("'quoted' -dash- (parens) end.") == ["quoted", "dash", "parens", "end"]
    assert words("a--b rock'n'roll it’s") == ["a", "b", "rock'n'roll", "it’s"]
    assert words("...!?") == []


def test_words_unicode_letters_digits_and_combining_marks() -> None:
    assert words("Le café coûte 3,50 € à Zürich") == ["Le", "café", "coûte", "3", "50", "à", "Zürich"]
    decomposed = "cafe\u0301 au lait"  # "é" as e + combining acute: still one word
    assert words(decomposed)[0] == "cafe\u0301"
    assert words("日本語 and 한국어") == ["日本語", "and", "한국어"]


def test_word_at_offsets() -> None:
    text = "I didn't like it."
    assert word_at(text, text.index("'")) == span_of("didn't", text)
    assert word_at(text, 0) == (0, 1)
    assert word_at(text, 1) is None  # a space
    assert word_at(text, len(text) - 1) is None  # the full stop


def test_snap_to_words() -> None:
    text = "The battery life, sadly, is short."
    # from inside "battery" to inside "life" -> the whole phrase
    assert snap_to_words(text, text.index("tery"), text.index("if")) == span_of("battery life", text)
    # starting on a space and ending on a comma still gives clean word edges
    assert snap_to_words(text, 3, text.index(",") + 1) == span_of("battery life", text)
    assert snap_to_words(text, 9, 4) == span_of("battery", text)  # reversed range
    assert snap_to_words(text, text.index(","), text.index(",") + 1) is None


# ---- the widget -----------------------------------------------------------------------------
TERMS = [TermSpan(*span_of("battery life"), Polarity.POSITIVE, Polarity.POSITIVE, 1),
         TermSpan(*span_of("screen"), Polarity.NEGATIVE, None, 2),
         TermSpan(*span_of("wi-fi card"), None, Polarity.NEUTRAL, 3)]


@pytest.fixture
def view(qtbot) -> SentenceView:
    w = SentenceView()
    qtbot.addWidget(w)
    w.set_sentence(SENTENCE, TERMS)
    w.resize(420, w.heightForWidth(420))
    w.show()
    qtbot.waitExposed(w)
    return w


def centre(view: SentenceView, start: int, end: int) -> QPoint:
    rect = view.span_rect(start, end)
    assert not rect.isNull(), "span not laid out"
    return rect.center().toPoint()


def test_click_on_word_selects_it(view: SentenceView, qtbot) -> None:
    target = span_of("survive")
    with qtbot.waitSignal(view.spanSelected, timeout=1000) as blocker:
        qtbot.mouseClick(view, Qt.LeftButton, pos=centre(view, *target))
    assert blocker.args == list(target)
    assert view.selected_span() == target
    assert view.selected_term() is None


def test_click_on_contraction_selects_whole_word(view: SentenceView, qtbot) -> None:
    target = span_of("didn't")
    with qtbot.waitSignal(view.spanSelected, timeout=1000) as blocker:
        qtbot.mouseClick(view, Qt.LeftButton, pos=centre(view, *target))
    assert blocker.args == list(target)


def test_click_on_existing_term_selects_the_term(view: SentenceView, qtbot) -> None:
    start, end = span_of("battery life")
    with qtbot.waitSignal(view.spanSelected, timeout=1000) as blocker:
        qtbot.mouseClick(view, Qt.LeftButton, pos=centre(view, start, start + 3))  # on "bat"
    assert blocker.args == [start, end]
    assert view.selected_term() is not None and view.selected_term().term_id == 1


def test_click_beside_the_text_selects_nothing(view: SentenceView, qtbot) -> None:
    with qtbot.assertNotEmitted(view.spanSelected):
        qtbot.mouseClick(view, Qt.LeftButton, pos=QPoint(3, 3))
    assert view.selected_span() is None


def test_drag_selects_phrase_snapped_to_words(view: SentenceView, qtbot) -> None:
    a, b = span_of("great"), span_of("screen")
    press = view.span_rect(a[0] + 1, a[0] + 2).center().toPoint()  # inside "great"
    release = view.span_rect(b[0] + 2, b[0] + 3).center().toPoint()  # inside "screen"
    with qtbot.waitSignal(view.spanSelected, timeout=1000) as blocker:
        qtbot.mousePress(view, Qt.LeftButton, pos=press)
        qtbot.mouseMove(view, release)
        qtbot.mouseRelease(view, Qt.LeftButton, pos=release)
    assert blocker.args == [a[0], b[1]]
    assert SENTENCE[blocker.args[0]:blocker.args[1]] == "great, but the screen"


def test_drag_backwards_gives_same_phrase(view: SentenceView, qtbot) -> None:
    a, b = span_of("survive"), span_of("the wi-fi")
    press = view.span_rect(b[1] - 1, b[1]).center().toPoint()
    release = view.span_rect(a[0], a[0] + 1).center().toPoint()
    with qtbot.waitSignal(view.spanSelected, timeout=1000) as blocker:
        qtbot.mousePress(view, Qt.LeftButton, pos=press)
        qtbot.mouseMove(view, release)
        qtbot.mouseRelease(view, Qt.LeftButton, pos=release)
    assert SENTENCE[blocker.args[0]:blocker.args[1]] == "survive and the wi-fi"


def test_tab_cycles_terms_and_wraps(view: SentenceView, qtbot) -> None:
    view.setFocus()
    seen = []
    for _ in range(4):
        with qtbot.waitSignal(view.spanSelected, timeout=1000) as blocker:
            qtbot.keyClick(view, Qt.Key_Tab)
        seen.append(tuple(blocker.args))
    assert seen == [t.span for t in TERMS] + [TERMS[0].span]
    with qtbot.waitSignal(view.spanSelected, timeout=1000) as blocker:
        qtbot.keyClick(view, Qt.Key_Backtab, Qt.ShiftModifier)
    assert tuple(blocker.args) == TERMS[-1].span


def test_programmatic_cycling_and_select_span(view: SentenceView, qtbot) -> None:
    with qtbot.waitSignal(view.spanSelected, timeout=1000) as blocker:
        view.select_previous_term()
    assert tuple(blocker.args) == TERMS[-1].span
    target = span_of("slow")
    with qtbot.waitSignal(view.spanSelected, timeout=1000):
        view.select_span(*target)
    with qtbot.assertNotEmitted(view.spanSelected):
        view.select_span(*target)  # unchanged: no echo
    with qtbot.waitSignal(view.spanSelected, timeout=1000) as blocker:
        view.select_next_term()  # from a free selection after the last term: wraps to the first
    assert tuple(blocker.args) == TERMS[0].span


def test_arrow_keys_step_and_extend_by_word(view: SentenceView, qtbot) -> None:
    view.select_span(*span_of("screen"))
    qtbot.keyClick(view, Qt.Key_Right)
    assert view.selected_span() == span_of("didn't")
    qtbot.keyClick(view, Qt.Key_Right, Qt.ShiftModifier)
    assert view.selected_span() == span_of("didn't survive")
    qtbot.keyClick(view, Qt.Key_Left)
    assert view.selected_span() == span_of("screen")


def test_tab_moves_focus_when_there_are_no_terms(qtbot) -> None:
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    window = QWidget()
    qtbot.addWidget(window)
    view, after = SentenceView(), QLineEdit()
    layout = QVBoxLayout(window)
    layout.addWidget(view)
    layout.addWidget(after)
    view.set_sentence("No terms here.", [])
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=1000)
    qtbot.keyClick(view, Qt.Key_Tab)
    assert after.hasFocus()
    assert view.selected_span() is None


def test_relabel_keeps_selection_new_text_clears_it(view: SentenceView) -> None:
    view.select_span(*TERMS[2].span)
    view.set_terms([*TERMS[:2], TermSpan(*TERMS[2].span, Polarity.NEUTRAL, Polarity.NEUTRAL, 3)])
    assert view.selected_span() == TERMS[2].span
    view.set_sentence("Another sentence.", [])
    assert view.selected_span() is None


def test_height_for_width_grows_when_narrow(view: SentenceView) -> None:
    assert view.heightForWidth(200) > view.heightForWidth(900)
    assert view.sizeHint().height() == view.heightForWidth(view.sizeHint().width())


def test_paints_without_error(view: SentenceView) -> None:
    view.select_span(*TERMS[1].span)
    image = view.grab().toImage()
    assert image.width() > 0
    colours = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert len(colours) > 10


def test_offsets_stay_python_indices_after_emoji(qtbot) -> None:
    text = "Loved it 😀😀 but the pizza\nwas cold 🍕 and the service slow."
    w = SentenceView()
    qtbot.addWidget(w)
    w.set_sentence(text, [TermSpan(*span_of("service", text), Polarity.NEGATIVE, None)])
    w.resize(360, w.heightForWidth(360))
    w.show()
    qtbot.waitExposed(w)
    for word in ("pizza", "cold", "slow"):
        target = span_of(word, text)
        with qtbot.waitSignal(w.spanSelected, timeout=1000) as blocker:
            qtbot.mouseClick(w, Qt.LeftButton, pos=centre(w, *target))
        assert tuple(blocker.args) == target, word
    with qtbot.waitSignal(w.spanSelected, timeout=1000) as blocker:
        qtbot.mouseClick(w, Qt.LeftButton, pos=centre(w, *span_of("service", text)))
    assert text[blocker.args[0]:blocker.args[1]] == "service"
    # the newline breaks the line: "was" starts a new line left of "pizza"
    assert w.span_rect(*span_of("was", text)).top() > w.span_rect(*span_of("pizza", text)).top()
