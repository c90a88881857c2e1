"""Team review in the real window on a real SQLite project: two annotators (alice, bob) label
through the store, then the Agreement tab, the review filters, each annotator's label under the
term, a reviewer's final label in one key, and "Accept predictions above X %" with its one undo.

``POLARITY_REVIEW_SHOTS=folder`` also saves screenshots of each state there, to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app_helpers import make_project, row_of, show_sentence, show_window
from core.domain import Polarity, Prediction
from core.storage import Project, SentenceFilter

NEG, NEU, POS = Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE
ALICE = [NEG, NEG, POS, POS, NEU, POS]
BOB = [NEG, POS, POS, POS, NEU, NEG]   # disagrees with alice on the 2nd and the 6th term
SOUP = "The soup here was cold and the bread was stale."
VIEW = "The view from our table was lovely."


def shot(window, name: str) -> None:
    folder = os.environ.get("POLARITY_REVIEW_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        QTest.qWait(300)  # let pending layouts and the counts read off the GUI thread land first
        window.grab().save(str(Path(folder) / f"{name}.png"))


def labeled_terms(store: Project) -> list:
    return [t for rec in store.page(SentenceFilter("labeled"), limit=50) for t in rec.terms if t.label][:6]


@pytest.fixture
def team_file(tmp_path: Path, small_tsv: Path, tiny_model: Path) -> Path:
    """The small project; alice and bob label the same six terms; lead is a reviewer; three unlabeled
    terms carry confident predictions of the active model (and "coffee" an unsure one)."""
    path = make_project(tmp_path / "team.db", small_tsv, tiny_model)
    for name, labels in (("alice", ALICE), ("bob", BOB)):
        with Project.open(path, author=name) as store:
            for term, label in zip(labeled_terms(store), labels):
                store.set_label(term.id, label)
    with Project.open(path) as store:
        store.update_reviewers(add=["lead"])
        preds = []
        for text, words, label, conf in ((SOUP, ("soup", "bread"), NEG, 0.97), (VIEW, ("view",), POS, 0.98)):
            sentence = store.add_sentence(text)
            for word in words:
                term = store.add_term(sentence.id, text.index(word), text.index(word) + len(word))
                preds.append((term.id, _pred(label, conf)))
        coffee = next(t for r in store.page(SentenceFilter("unlabeled"), limit=50) for t in r.terms
                      if t.text == "coffee")
        preds.append((coffee.id, _pred(NEU, 0.6)))
        store.store_predictions(store.active_model().id, preds)
    return path


def _pred(label: Polarity, conf: float) -> Prediction:
    rest = (1.0 - conf) / 2
    return Prediction(label, tuple(conf if p is label else rest for p in (NEG, NEU, POS)))  # type: ignore[arg-type]


def open_as(qtbot, ctx, path: Path, author: str):  # type: ignore[no-untyped-def]
    from app.main import build

    ctx.set_author(author)
    window, controller = build(ctx)
    qtbot.addWidget(window)
    show_window(qtbot, window)
    assert controller.open_path(path)
    # as the shared ``app`` fixture: the model loaded, so no test closes a window mid-load
    qtbot.waitUntil(lambda: controller.predictor.state == "ready", timeout=30000)
    return window, controller


@pytest.fixture
def lead(qtbot, ctx, team_file: Path):  # type: ignore[no-untyped-def]
    window, controller = open_as(qtbot, ctx, team_file, "lead")
    yield window, controller
    window.close()


def pick(window, controller, sentence: str, word: str) -> None:
    show_sentence(window, controller, sentence)
    start = sentence.index(word)
    controller.labeling.select_span(start, start + len(word))


def disputed_term(path: Path):  # type: ignore[no-untyped-def]
    """(sentence text, term text, term id) of the first term alice and bob labeled differently."""
    with Project.open(path) as store:
        term = labeled_terms(store)[1]
        return store.get_sentence(term.sentence_id).text, term.text, term.id


def test_agreement_tab_paints_the_kappa_of_every_pair(qtbot, lead, team_file: Path) -> None:
    window, controller = lead
    window.actions["agreement"].trigger()
    assert window.tabs.currentWidget() is window.agreement_view
    qtbot.waitUntil(lambda: controller.review.last_report is not None, timeout=20000)
    with Project.open(team_file) as store:
        expected = {(p.a, p.b): (p.n, p.kappa) for p in store.agreement().pairs}
    heat = window.agreement_view.heatmap
    n, kappa = heat.cell("alice", "bob")
    assert (n, kappa) == expected[("alice", "bob")] and n == 6
    assert kappa is not None and kappa < 1.0
    assert heat.cell("bob", "alice") == (n, kappa)  # drawn symmetric
    assert heat.cell("alice", "alice") is None
    assert "Krippendorff's α" in window.agreement_view.summary_text()
    shot(window, "agreement")

    # bob changes his mind on the 6th term: the tab, in front, recomputes by itself
    with Project.open(team_file, author="bob") as store:
        store.set_label(labeled_terms(store)[5].id, POS)
    controller.state.othersLabeled.emit(frozenset())
    qtbot.waitUntil(lambda: heat.cell("alice", "bob")[1] != kappa, timeout=20000)


def test_fewer_than_two_annotators_says_so(qtbot, app) -> None:
    window, controller = app
    window.actions["agreement"].trigger()
    qtbot.waitUntil(lambda: controller.review.last_report is not None, timeout=20000)
    assert "at least two annotators" in window.agreement_view.message_text()
    assert window.agreement_view.heatmap.names() == ()


def test_review_filters_in_the_filter_box(qtbot, lead, team_file: Path) -> None:
    window, controller = lead
    window.kind_combo.setCurrentIndex(window.kind_combo.findData("annotators_disagree"))
    with Project.open(team_file) as store:
        expected = store.count(SentenceFilter("annotators_disagree"))
    assert expected >= 1
    qtbot.waitUntil(lambda: window.sentence_model.total() == expected, timeout=5000)
    window.kind_combo.setCurrentIndex(window.kind_combo.findData("accepted"))
    qtbot.waitUntil(lambda: window.sentence_model.total() == 0, timeout=5000)


def test_each_annotator_s_label_and_the_reviewer_s_final_label_in_one_key(qtbot, lead, team_file: Path) -> None:
    window, controller = lead
    sentence, word, term_id = disputed_term(team_file)
    pick(window, controller, sentence, word)
    strip = window.term_panel.annotators
    qtbot.waitUntil(strip.isVisible, timeout=5000)  # read off the GUI thread
    assert "alice negative" in strip.plain_text() and "bob positive" in strip.plain_text()
    assert "Ctrl+1" in strip.text()
    shot(window, "annotators")
    qtbot.keyClick(window.term_panel.sentence_view, Qt.Key_1, Qt.ControlModifier)
    with Project.open(team_file) as store:
        review = store.annotator_labels(term_id)
        assert (review.adjudicated, review.adjudicated_by, review.final) == (NEG, "lead", NEG)
        assert store.history(term_id)[-1].source == "adjudication"
    qtbot.waitUntil(lambda: "final negative by lead" in strip.plain_text(), timeout=5000)
    assert window.term_panel.bars.human_text() == "Final (you): negative"
    shot(window, "adjudicated")


def test_someone_without_the_reviewer_role_cannot_settle(qtbot, ctx, team_file: Path) -> None:
    window, controller = open_as(qtbot, ctx, team_file, "carol")
    sentence, word, term_id = disputed_term(team_file)
    pick(window, controller, sentence, word)
    qtbot.waitUntil(lambda: controller.review.review is not None and window.term_panel.annotators.isVisible(),
                    timeout=5000)
    assert not window.actions["final_negative"].isEnabled()
    assert "Ctrl+1" not in window.term_panel.annotators.text()
    qtbot.keyClick(window.term_panel.sentence_view, Qt.Key_1, Qt.ControlModifier)
    with Project.open(team_file) as store:
        assert store.annotator_labels(term_id).adjudicated is None
    window.close()


def test_accept_predictions_asks_first_then_one_undo_takes_the_batch_back(qtbot, lead, team_file: Path) -> None:
    window, controller = lead
    window.actions["accept_predictions"].trigger()
    dialog = controller.review.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(dialog.accept_button.isEnabled, timeout=20000)
    assert "<b>3</b> terms" in dialog.preview_text()
    assert "<b>2</b> negative" in dialog.preview_text() and "<b>1</b> positive" in dialog.preview_text()
    shot(dialog, "accept-dialog")
    with Project.open(team_file) as store:
        assert store.source_counts().get("accepted-prediction", 0) == 0  # nothing written by asking
    dialog.spin.setValue(50)  # "coffee" at 60 % joins; Accept waits for the new count
    assert not dialog.accept_button.isEnabled()
    qtbot.waitUntil(lambda: "<b>4</b> terms" in dialog.preview_text(), timeout=20000)
    dialog.spin.setValue(95)
    qtbot.waitUntil(lambda: "<b>3</b> terms" in dialog.preview_text() and dialog.accept_button.isEnabled(),
                    timeout=20000)
    dialog.accept_button.click()
    qtbot.waitUntil(lambda: controller.review._job is None and window.sentence_model.total() > 0, timeout=20000)
    with Project.open(team_file) as store:
        qtbot.waitUntil(lambda: store.source_counts().get("accepted-prediction", 0) == 3, timeout=20000)
        version = store.active_model().id

    def soup_accepted() -> bool:  # the list reloads after the job; on busy cores that can lag the commit
        rec = window.sentence_model.record(row_of(window, SOUP))
        return any(t.label_source == "accepted-prediction" for t in rec.terms)

    qtbot.waitUntil(soup_accepted, timeout=20000)
    pick(window, controller, SOUP, "soup")
    assert window.term_panel.bars.human_text() == f"Accepted prediction (v{version}): negative"
    shot(window, "accepted")
    window.kind_combo.setCurrentIndex(window.kind_combo.findData("accepted"))
    qtbot.waitUntil(lambda: window.sentence_model.total() == 2, timeout=5000)

    window.actions["undo_accept"].trigger()
    with Project.open(team_file) as store:
        qtbot.waitUntil(lambda: store.source_counts().get("accepted-prediction", 0) == 0, timeout=20000)
        assert store.review_batches()[-1].undone
    qtbot.waitUntil(lambda: window.sentence_model.total() == 0, timeout=5000)


def test_the_review_keys_are_in_the_help_panel_and_clash_with_none() -> None:
    from app.theme.actions import ACTIONS, SHARED_KEYS, shortcut_rows

    review = [r for r in shortcut_rows() if r[0] == "Review"]
    assert {"Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+Shift+A", "Ctrl+G"} <= {r[1] for r in review}
    keys = [k for spec in ACTIONS for k in spec.keys if k not in SHARED_KEYS]  # Escape: never two enabled
    assert len(keys) == len(set(keys))


def test_the_heatmap_paints_each_pair_in_its_kappa_colour(qtbot) -> None:
    from app.widgets.charts.heatmap import KappaHeatmap, kappa_color

    heat = KappaHeatmap()
    qtbot.addWidget(heat)
    heat.resize(420, 360)
    heat.set_pairs(["ann", "ben", "cy"], [("ann", "ben", 12, 1.0), ("ann", "cy", 12, -0.5), ("ben", "cy", 0, None)])
    image = heat.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    assert kappa_color(1.0).name() in colours and kappa_color(-0.5).name() in colours
    assert heat.cell("cy", "ben") == (0, None)
    heat.set_pairs(["ann"], [])  # one annotator: the empty state, no matrix and no legend
    image = heat.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    assert kappa_color(1.0).name() not in colours
