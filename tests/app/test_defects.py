"""The defects a new user hit (issue 13), each driven through the real window as they met it."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import event

from app.context import AppContext
from app.controllers.project_controller import deferred_start
from app.main import build
from app.services.predictor_service import starter_ref
from app.services.training_service import train_job
from app.state.settings import Key
from app.state.train_config import config_from_settings
from app.views.main_window import MIN_SIZE, fit_size
from app.workers.worker import Worker, start_worker
from app_helpers import (PASTA, UNLABELED, click_word, key, make_project, make_settings, row_of, show_sentence,
                         show_window, store_term)
from core.domain import Polarity
from core.ml.events import FEATURES, HEAD, SAVING
from core.storage import Project

pytestmark = pytest.mark.slow
TWO = "The soup was bland and the bread was stale."


def finish_training(qtbot, window, controller) -> None:
    window.actions["retrain"].trigger()
    qtbot.waitUntil(lambda: controller.training.outcome is not None, timeout=60000)
    assert controller.training.outcome == "finished"


def test_1_after_keep_new_model_the_next_key_labels_instead_of_typing_into_the_search(
        qtbot, app, ctx: AppContext, project_file: Path) -> None:
    window, controller = app
    ctx.settings.set(Key.AUTO_ADVANCE, False)
    finish_training(qtbot, window, controller)
    show_sentence(window, controller, PASTA)
    keep = window.training_panel.keep_button
    keep.setFocus()
    qtbot.mouseClick(keep, Qt.LeftButton)
    assert window.term_panel.sentence_view.hasFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_1)
    assert window.search_edit.text() == "" and window.sentence_model.total() > 2
    assert store_term(project_file, PASTA, "pasta").label == Polarity.NEGATIVE  # imported positive before


def test_2_the_window_fits_the_screen_and_stays_usable_at_1366x768(qtbot, app) -> None:
    window, controller = app
    for screen in (QRect(0, 0, 1440, 860), QRect(0, 0, 1366, 728)):  # available areas, task bar taken off
        size = fit_size(screen)
        assert size.width() <= screen.width() and size.height() <= screen.height()
    assert MIN_SIZE.width() <= 1366 - 16 and MIN_SIZE.height() <= 728 - 40
    window.resize(1350, 690)
    window.show_tab("training")
    qtbot.waitUntil(lambda: window.training_panel.isVisible(), timeout=2000)
    QApplication.processEvents()
    inside = window.rect()
    panel = window.training_panel
    for widget in (panel.cancel_button, panel.elapsed_label, panel.curve, window.model_label,
                   window.term_panel.accept_button, window.term_panel.label_buttons[Polarity.POSITIVE]):
        top_left = widget.mapTo(window, widget.rect().topLeft())
        assert inside.contains(QRect(top_left, widget.size())), widget
        assert widget.width() >= min(widget.sizeHint().width(), 60)


def test_3_the_project_opens_only_after_the_first_frame_is_painted(qtbot, ctx: AppContext,
                                                                    project_file: Path) -> None:
    window, controller = build(ctx)
    qtbot.addWidget(window)
    order: list[str] = []

    class Spy(QObject):
        def eventFilter(self, obj, ev) -> bool:  # noqa: N802
            if ev.type() == QEvent.Paint and "paint" not in order:
                order.append("paint")
            return False

    spy = Spy()
    window.installEventFilter(spy)
    controller.state.projectChanged.connect(lambda: order.append("open"))
    window.show()
    deferred_start(controller, project_file)
    qtbot.waitUntil(lambda: "open" in order, timeout=5000)
    assert order[:2] == ["paint", "open"]
    window.close()


def test_4_while_the_model_loads_the_pill_shows_this_terms_label(qtbot, app, ctx: AppContext,
                                                                 tmp_path: Path) -> None:
    window, controller = app
    ctx.settings.set(Key.AUTO_ADVANCE, False)
    show_sentence(window, controller, PASTA)
    click_word(qtbot, window, "delicious")
    key(qtbot, window, Qt.Key_1)  # mine: negative
    other = tmp_path / "other-model"
    shutil.copytree(ctx.starter_model, other)
    controller.predictor.set_model(starter_ref(other, "cpu"))  # loading, until the lane answers
    assert controller.predictor.state == "loading"
    bars = window.term_panel.bars
    click_word(qtbot, window, "waiter")
    assert bars.headline_text() and bars.human_text() == "Imported: positive"
    click_word(qtbot, window, "delicious")
    assert controller.predictor.state == "loading" and bars.human_text() == "You: negative"


def test_5_undo_of_a_change_to_an_imported_label_brings_back_the_imported_label(
        qtbot, app, ctx: AppContext, project_file: Path) -> None:
    window, controller = app
    ctx.settings.set(Key.AUTO_ADVANCE, False)
    show_sentence(window, controller, PASTA)
    click_word(qtbot, window, "waiter")
    before = store_term(project_file, PASTA, "waiter")
    assert before.label_source == "import"
    key(qtbot, window, Qt.Key_2)
    assert store_term(project_file, PASTA, "waiter").label == Polarity.NEUTRAL
    key(qtbot, window, Qt.Key_Z, Qt.ControlModifier)
    after = store_term(project_file, PASTA, "waiter")
    assert (after.label, after.label_source) == (before.label, "import")
    assert window.term_panel.bars.human_text() == f"Imported: {before.label.value}"
    assert "(imported)" in window.term_panel.term_state.text()


@pytest.fixture
def two_unlabeled(project_file: Path) -> Path:
    """A sentence with two unlabeled terms, after the one with "coffee", and one more after it."""
    with Project.open(project_file) as store:
        rec = store.add_sentence(TWO)
        for word in ("soup", "bread"):
            store.add_term(rec.id, TWO.index(word), TWO.index(word) + len(word))
        last = store.add_sentence("The tea was fine.")
        store.add_term(last.id, 4, 7)
    return project_file


def test_6_a_label_moves_on_to_the_next_unlabeled_term_then_sentence(qtbot, ctx: AppContext, two_unlabeled: Path,
                                                                     app_at_two) -> None:
    window, controller = app_at_two
    assert ctx.settings.get(Key.AUTO_ADVANCE) is True  # on by default
    show_sentence(window, controller, TWO)
    assert controller.labeling.current_term().text == "soup"
    row = window.sentence_list.currentIndex().row()
    key(qtbot, window, Qt.Key_1)
    assert controller.labeling.current_term().text == "bread"  # the next unlabeled term of the sentence
    key(qtbot, window, Qt.Key_3)
    assert window.sentence_list.currentIndex().row() == row + 1  # then the next sentence of the filter
    assert store_term(two_unlabeled, TWO, "bread").label == Polarity.POSITIVE
    show_sentence(window, controller, PASTA)
    click_word(qtbot, window, "waiter")  # the last term: Tab goes on to the next sentence
    pasta_row = window.sentence_list.currentIndex().row()
    key(qtbot, window, Qt.Key_Tab)
    assert window.sentence_list.currentIndex().row() == pasta_row + 1
    ctx.settings.set(Key.AUTO_ADVANCE, False)
    show_sentence(window, controller, PASTA)
    click_word(qtbot, window, "pasta")
    key(qtbot, window, Qt.Key_2)
    assert controller.labeling.current_term().text == "pasta"  # the setting off: it stays


@pytest.fixture
def app_at_two(qtbot, ctx: AppContext, two_unlabeled: Path):
    window, controller = build(ctx)
    qtbot.addWidget(window)
    show_window(qtbot, window)
    assert controller.open_path(two_unlabeled)
    yield window, controller
    window.close()


def test_7_reopening_a_project_restores_its_filter_sentence_and_term(qtbot, ctx: AppContext,
                                                                    project_file: Path) -> None:
    window, controller = build(ctx)
    qtbot.addWidget(window)
    show_window(qtbot, window)
    assert controller.open_path(project_file)
    window.kind_combo.setCurrentIndex(window.kind_combo.findData("labeled"))
    show_sentence(window, controller, PASTA)
    click_word(qtbot, window, "waiter")
    span = controller.labeling.span
    window.close()  # a clean quit
    again, controller2 = build(ctx)
    qtbot.addWidget(again)
    show_window(qtbot, again)
    controller2.start()  # the last project, where it was left
    assert again.kind_combo.currentData() == "labeled" and again.sentence_model.filter().kind == "labeled"
    assert controller2.labeling.record.text == PASTA and controller2.labeling.span == span
    assert again.sentence_list.currentIndex().row() == row_of(again, PASTA)
    again.close()


def test_8_the_chart_draws_the_loss_of_every_step_during_an_epoch(qtbot, app, ctx: AppContext) -> None:
    window, controller = app
    finish_training(qtbot, window, controller)
    steps = window.training_panel.curve.steps()
    body = [x for x, phase, _loss in steps if phase == "body"]
    assert len(body) >= 2  # every step of the one body epoch (~22 labels at batch 16), not one point at its end
    assert all(0 < x <= 1 for x in body) and body == sorted(body) and body[-1] == 1.0


def stop_at(phase: str, box: list, *args, on_progress, should_stop):  # type: ignore[no-untyped-def]
    """train_job, cancelling its own worker the moment ``phase`` begins (from the training thread)."""
    def report(e) -> None:  # type: ignore[no-untyped-def]
        on_progress(e)
        if getattr(e, "phase", None) == phase:
            box[0].cancel()

    return train_job(*args, on_progress=report, should_stop=should_stop)


class Events(QObject):
    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self.seen: list = []
        worker.progress.connect(self.on_progress)

    def on_progress(self, e) -> None:  # type: ignore[no-untyped-def]
        self.seen.append(e)


@pytest.mark.parametrize("phase", [FEATURES, SAVING])
def test_9_cancel_is_seen_inside_the_long_steps_not_after_them(qtbot, ctx: AppContext, project_file: Path,
                                                               phase: str) -> None:
    box: list = []
    worker = Worker(stop_at, phase, box, str(project_file), None, config_from_settings(ctx.settings))
    box.append(worker)
    events = Events(worker)
    with qtbot.waitSignal(worker.cancelled, timeout=60000):
        start_worker(worker, None)
    phases = [getattr(e, "phase", None) for e in events.seen]
    at = phases.index(phase)
    assert HEAD not in phases[at:] and "done" not in phases[at:]  # the step itself stopped
    with Project.open(project_file) as store:
        assert len(store.models()) == 1 and store.runs()[0].status == "cancelled"
        assert sorted(p.name for p in store.models_dir.iterdir()) == ["starter"]  # nothing half-saved


def test_10_four_terms_show_without_scrolling_and_the_status_bar_names_the_project(qtbot, app,
                                                                                   project_file: Path) -> None:
    window, controller = app
    four = "The soup, the bread, the wine and the dessert were all fine."
    with Project.open(project_file) as store:
        rec = store.add_sentence(four)
        for word in ("soup", "bread", "wine", "dessert"):
            store.add_term(rec.id, four.index(word), four.index(word) + len(word))
    controller.state.datasetChanged.emit()
    show_sentence(window, controller, four)
    table = window.term_panel.terms_table
    QApplication.processEvents()
    assert table.rowCount() == 4 and table.verticalScrollBar().maximum() == 0
    label = window.location_label
    assert label.full_text().startswith("reviews") and str(project_file) in label.toolTip()


def test_11_new_project_in_the_app_and_project_init_give_the_same_project(qtbot, tmp_path: Path,
                                                                           tiny_base_model: Path, capsys) -> None:
    from core.cli import main
    from core.paths import starter_model_dir

    if not (starter_model_dir() / "model.json").is_file():
        pytest.skip("no starter model in resources/ (benchmarks/build_starter.py builds it)")
    ctx = AppContext.create(tmp_path / "home", make_settings(tmp_path / "s.ini", tiny_base_model), True)
    window, controller = build(ctx)
    qtbot.addWidget(window)
    assert controller.create_and_open(tmp_path / "app.db")
    window.close()
    assert main(["project", "init", str(tmp_path / "cli.db")]) == 0
    capsys.readouterr()

    def described(path: Path) -> list[tuple]:
        with Project.open(path) as store:
            return [(m.active, m.engine, m.base_model, m.metrics.get("note"), m.n_labels,
                     Path(m.folder).parent == store.models_dir) for m in store.models()]

    assert described(tmp_path / "app.db") == described(tmp_path / "cli.db")
    assert len(described(tmp_path / "cli.db")) == 1


def test_a_label_key_costs_one_write_and_one_read_on_the_gui_thread(qtbot, app, ctx: AppContext) -> None:
    window, controller = app
    ctx.settings.set(Key.AUTO_ADVANCE, False)
    show_sentence(window, controller, UNLABELED)
    project = controller.state.project
    ended: list[str] = []  # one entry per transaction the GUI thread ran (a read commits too)
    gui = threading.get_ident()

    def commit(conn) -> None:  # type: ignore[no-untyped-def]
        if threading.get_ident() == gui:
            ended.append("transaction")

    event.listen(project.engine, "commit", commit)  # the reading and the writing engine derive from it
    try:
        key(qtbot, window, Qt.Key_3)
    finally:
        event.remove(project.engine, "commit", commit)
    assert len(ended) == 2  # the label (one write), then that sentence re-read (one read); counts come off-thread
    assert store_term(controller.state.path, UNLABELED, "coffee").label == Polarity.POSITIVE
