"""The main window driven as a person would: a real project file, real widgets, a tiny real model.

Open a project, click a word, see the prediction, press 3, see the label stored; undo and redo;
filter; import a bad file and see the project unchanged; retrain (finish one, cancel one, roll
back); first run makes the demo project. Keys go through QTest, so the window's shortcuts fire.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.context import AppContext
from app.main import build
from app.services.project_service import create_project
from app.state.settings import Key, Settings
from app_helpers import UNLABELED, click_word, key, make_settings, show_sentence, show_window, store_label
from core.domain import Polarity
from core.storage import Project, SentenceFilter

pytestmark = pytest.mark.slow


def test_opens_project_with_counts_list_and_model(app, project_file: Path, tmp_path: Path) -> None:
    window, controller = app
    with Project.open(project_file) as store:
        stats = store.stats()
    assert window.sentence_model.total() == stats.sentences == window.sentence_model.rowCount()
    for name, n in stats.per_label.items():
        assert window.count_labels[name].text() == f"{n} {name}"
    assert "v1" in window.model_label.text() and "starter" in window.model_label.text()
    assert window.windowTitle().startswith("reviews")
    shot = tmp_path / "window.png"
    assert window.grab().save(str(shot)) and shot.stat().st_size > 10_000


def test_click_word_predicts_then_3_stores_label_undo_redo(qtbot, app, ctx: AppContext, project_file: Path) -> None:
    window, controller = app
    ctx.settings.set(Key.AUTO_ADVANCE, False)  # this test stays on its term (test_defects covers advancing)
    sentence = "The pasta was delicious and the waiter was friendly."
    show_sentence(window, controller, sentence)
    click_word(qtbot, window, "delicious")
    assert controller.labeling.span == (sentence.index("delicious"), sentence.index("delicious") + 9)
    bars = window.term_panel.bars
    qtbot.waitUntil(lambda: bars.prediction() is not None, timeout=5000)
    assert abs(sum(bars.prediction().probabilities) - 1) < 1e-4
    assert "delicious" in window.term_panel.term_label.text()
    assert controller.labeling.latencies_ms  # the model answered this request (the figure is logged)

    key(qtbot, window, Qt.Key_3)
    assert store_label(project_file, sentence, "delicious") == (True, Polarity.POSITIVE)
    assert "labeled positive by you" in window.term_panel.term_state.text()
    assert window.term_panel.label_buttons[Polarity.POSITIVE].isChecked()
    qtbot.waitUntil(lambda: window.count_labels["positive"].text()  # counted off the GUI thread
                    == f"{_rows(project_file).count('positive')} positive", timeout=5000)

    key(qtbot, window, Qt.Key_Z, Qt.ControlModifier)
    assert store_label(project_file, sentence, "delicious") == (True, None)
    key(qtbot, window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert store_label(project_file, sentence, "delicious") == (True, Polarity.POSITIVE)
    key(qtbot, window, Qt.Key_Delete)
    assert store_label(project_file, sentence, "delicious") == (True, None)


def _rows(path: Path) -> list[str]:
    with Project.open(path) as store:
        return [e.polarity.value for e in store.labeled_examples()]


def test_enter_accepts_model_label_and_tab_j_k_move(qtbot, app, project_file: Path) -> None:
    window, controller = app
    show_sentence(window, controller, UNLABELED)
    assert controller.labeling.current_term().text == "coffee"  # the unlabeled term is picked first
    bars = window.term_panel.bars
    qtbot.waitUntil(lambda: bars.prediction() is not None, timeout=5000)
    predicted = bars.prediction().label
    key(qtbot, window, Qt.Key_Return)
    assert store_label(project_file, UNLABELED, "coffee") == (True, predicted)

    sentence = "The pasta was delicious and the waiter was friendly."
    show_sentence(window, controller, sentence)
    first = controller.labeling.span
    key(qtbot, window, Qt.Key_Tab)
    assert controller.labeling.span != first and controller.labeling.current_term().text == "waiter"
    row = window.sentence_list.currentIndex().row()
    key(qtbot, window, Qt.Key_J)
    assert window.sentence_list.currentIndex().row() == row + 1
    key(qtbot, window, Qt.Key_K)
    key(qtbot, window, Qt.Key_Down)
    key(qtbot, window, Qt.Key_Up)
    assert window.sentence_list.currentIndex().row() == row


def test_filters_and_search(qtbot, app, project_file: Path) -> None:
    window, controller = app
    with Project.open(project_file) as store:
        unlabeled = store.count(SentenceFilter("unlabeled"))
        negative = store.count(SentenceFilter("labeled", Polarity.NEGATIVE))
    window.kind_combo.setCurrentIndex(window.kind_combo.findData("unlabeled"))
    assert window.sentence_model.total() == unlabeled == 1
    assert window.term_panel.sentence_view.text() == UNLABELED
    window.kind_combo.setCurrentIndex(window.kind_combo.findData("labeled"))
    window.label_combo.setCurrentIndex(window.label_combo.findData(Polarity.NEGATIVE))
    assert window.sentence_model.total() == negative
    window.label_combo.setCurrentIndex(0)
    window.kind_combo.setCurrentIndex(0)
    window.search_edit.setText("waiter")
    qtbot.waitUntil(lambda: window.sentence_model.total() == 2, timeout=3000)
    assert all("waiter" in window.sentence_model.record(r).text for r in range(2))
    assert window.count_label.text() == "2 sentences"
    with Project.open(project_file) as store:
        labeled = store.stats().labeled
    window.search_edit.setFocus()
    window.search_edit.clear()
    qtbot.keyClicks(window.search_edit, "soup")
    qtbot.keyClick(window.search_edit, Qt.Key_Return)  # searches at once; labels nothing
    assert window.sentence_model.total() == 2 and window.term_panel.sentence_view.hasFocus()
    with Project.open(project_file) as store:
        assert store.stats().labeled == labeled


def test_bad_import_names_file_and_line_and_changes_nothing(qtbot, app, project_file: Path,
                                                          tmp_path: Path) -> None:
    window, controller = app
    bad = tmp_path / "bad.tsv"
    bad.write_text("positive\tGENERAL\tpasta\t4:9\tThe pasta was great.\nnegative\tGENERAL\tsoup\n", encoding="utf-8")
    with Project.open(project_file) as store:
        before = store.stats()
    with qtbot.waitSignal(controller.importDone, timeout=10000) as blocker:
        assert controller.import_file(bad)
    assert blocker.args == [None]
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and "bad.tsv" in box.text() and "Line: <b>2</b>" in box.text()
    assert "not changed" in box.text()
    box.close()
    with Project.open(project_file) as store:
        assert store.stats() == before

    good = tmp_path / "more.jsonl"
    good.write_text('{"text": "The fries were soggy.", "start": 4, "end": 9, "label": "negative"}\n',
                    encoding="utf-8")
    with qtbot.waitSignal(controller.importDone, timeout=10000) as blocker:
        controller.import_file(good)
    assert blocker.args[0].terms_added == 1
    assert window.sentence_model.total() == before.sentences + 1
    qtbot.waitUntil(lambda: window.count_labels["negative"].text() == f"{before.per_label['negative'] + 1} negative",
                    timeout=5000)

    out = tmp_path / "out.csv"
    with qtbot.waitSignal(controller.exportDone, timeout=10000) as blocker:
        controller.export_file(out, "csv", with_predictions=True)
    assert blocker.args[0] == before.terms + 1 and out.read_text(encoding="utf-8").count("\n") >= before.terms


def test_retrain_shows_progress_then_result_and_rolls_back(qtbot, app, project_file: Path, monkeypatch) -> None:
    window, controller = app
    panel = window.training_panel
    seen: list = []
    show = panel.show_progress
    monkeypatch.setattr(panel, "show_progress", lambda event: (seen.append(event), show(event)))
    window.actions["retrain"].trigger()
    assert controller.training.running and not window.actions["retrain"].isEnabled()
    assert window.actions["cancel_training"].isEnabled()
    qtbot.waitUntil(lambda: controller.training.outcome is not None, timeout=60000)
    assert controller.training.outcome == "finished"
    steps = [e.step for e in seen]
    assert len(steps) >= 3 and steps == sorted(steps) and seen[-1].step == seen[-1].total
    assert any(e.epoch for e in seen) and {e.phase for e in seen} >= {"body", "head"}
    assert panel.result_box.isVisible() and "(n = " in panel.metric_text("new", "accuracy")
    assert panel.curve.points(), "the training curve has its epochs"
    with Project.open(project_file) as store:
        versions = store.models()
        assert [v.active for v in versions] == [True, False]  # not in use until the person keeps it
        assert store.runs()[0].status == "succeeded"
    assert window.models_panel.table.rowCount() == 2
    qtbot.waitUntil(lambda: controller.predictor.state == "ready", timeout=30000)
    assert "v1" in controller.predictor.model.name
    panel.rollback_button.click()
    assert not panel.result_box.isVisible()
    with Project.open(project_file) as store:
        assert [v.active for v in store.models()] == [True, False]
    assert "v1" in controller.predictor.model.name
    window.models_panel.select_version(versions[1].id)
    window.models_panel.activate_button.click()
    with Project.open(project_file) as store:
        assert store.active_model().id == versions[1].id


def test_cancel_stops_and_labeling_goes_on(qtbot, app, ctx: AppContext, project_file: Path) -> None:
    window, controller = app
    ctx.settings.set(Key.EPOCHS, 400)  # long enough to cancel mid-way
    window.actions["retrain"].trigger()
    qtbot.waitUntil(lambda: window.training_panel.progress.value() > 2, timeout=60000)
    sentence = "The pasta was delicious and the waiter was friendly."
    show_sentence(window, controller, sentence)  # the window answers while the model trains
    click_word(qtbot, window, "friendly")
    key(qtbot, window, Qt.Key_2)
    assert store_label(project_file, sentence, "friendly") == (True, Polarity.NEUTRAL)
    key(qtbot, window, Qt.Key_Escape)
    qtbot.waitUntil(lambda: controller.training.outcome is not None, timeout=5000)
    assert controller.training.outcome == "cancelled"
    assert window.actions["retrain"].isEnabled()
    with Project.open(project_file) as store:
        assert len(store.models()) == 1 and store.runs()[0].status == "cancelled"


def test_first_run_makes_the_demo_project(qtbot, tmp_path: Path, tiny_model: Path, tiny_base_model: Path) -> None:
    ctx = AppContext.create(tmp_path / "home", make_settings(tmp_path / "s.ini", tiny_base_model), tiny_model)
    window, controller = build(ctx)
    qtbot.addWidget(window)
    controller.start()
    assert ctx.demo_project.is_file() and window.sentence_model.total() == 321
    assert ctx.settings.get(Key.LAST_PROJECT) == str(ctx.demo_project.resolve())
    with Project.open(ctx.demo_project) as store:
        assert store.stats().terms == 514 and len(store.models()) == 1
    assert window.term_panel.sentence_view.text() == window.sentence_model.record(0).text
    window.close()


def test_without_any_model_says_so(qtbot, tmp_path: Path, small_tsv: Path, tiny_base_model: Path) -> None:
    ctx = AppContext.create(tmp_path / "home", make_settings(tmp_path / "s.ini", tiny_base_model), None)
    path = create_project(tmp_path / "bare.db", None)
    with Project.open(path) as store:
        store.import_file(small_tsv)
    window, controller = build(ctx)
    qtbot.addWidget(window)
    show_window(qtbot, window)
    controller.start(path)
    assert controller.predictor.state == "none" and "No model yet" in window.model_label.text()
    controller.labeling.select_row(0)
    show_sentence(window, controller, "The pasta was delicious and the waiter was friendly.")
    click_word(qtbot, window, "delicious")
    assert window.term_panel.bars.headline_text() == "No model yet"
    key(qtbot, window, Qt.Key_1)  # labeling works without a model
    assert store_label(path, "The pasta was delicious and the waiter was friendly.", "delicious")[1] \
        == Polarity.NEGATIVE
    window.close()


def test_geometry_and_settings_persist(qtbot, tmp_path: Path, ctx: AppContext) -> None:
    window, _controller = build(ctx)
    qtbot.addWidget(window)
    window.show()
    window.resize(1000, 700)  # the offscreen screen is 800 px wide: restoreGeometry clamps the width
    window.close()
    again = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    ctx2 = AppContext.create(tmp_path / "data", again, None)
    window2, _ = build(ctx2)
    qtbot.addWidget(window2)
    assert window2.height() == 700 and window2.width() > 700  # unrestored, it would be the default size
    assert again.get(Key.BASE_MODEL) == ctx.settings.get(Key.BASE_MODEL)
    window2.close()


def test_help_lists_every_labeling_key(qtbot, app) -> None:
    window, controller = app
    window.actions["help"].trigger()
    listed = {k.strip() for row in controller._help.keys_listed() for k in re.split(r" / |, ", row)}
    assert "F1" in listed and "1" in listed  # each key as a whole: "1" is not found inside "F1"
    for k in ("1", "2", "3", "Return", "Del", "Ctrl+Z", "Ctrl+Shift+Z", "J", "K", "Tab", "Ctrl+R"):
        assert k in listed, k
    controller._help.close()
    QApplication.processEvents()


def test_opening_another_project_cancels_its_training(qtbot, app, ctx: AppContext, tmp_path: Path,
                                                      small_tsv: Path, tiny_model: Path) -> None:
    window, controller = app
    ctx.settings.set(Key.EPOCHS, 400)
    window.actions["retrain"].trigger()
    qtbot.waitUntil(lambda: window.training_panel.progress.value() > 2, timeout=60000)
    other = create_project(tmp_path / "other.db", tiny_model)
    with Project.open(other) as store:
        store.import_file(small_tsv)
    assert controller.open_path(other)
    qtbot.waitUntil(lambda: controller.training.outcome is not None, timeout=5000)
    assert controller.training.outcome == "cancelled" and not window.training_panel.result_box.isVisible()
    assert window.windowTitle().startswith("other") and [a.text() for a in window.recent_menu.actions()] == \
        ["other.db", "reviews.db"]
