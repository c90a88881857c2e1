"""Raw text in, through the app: the Import raw text dialog (preview, text / id column, splitting),
the import on the project's worker, the error dialog for a bad file with the project unchanged,
and "Suggest terms" storing the extractor's suggestions with their predicted polarity.

Real widgets, a real SQLite project, a tiny real term extractor trained here on the 1-layer BERT
(the shipped starter takes ~11 s to load on this machine, too slow for a test).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.services.raw_import_service import preview_job
from app_helpers import show_sentence
from core.formats.raw import PREVIEW_BYTES
from core.storage import Project

# Hand-written (not from any dataset); the extractor below learns their terms.
TRAIN = [
    ("The pasta was delicious and the waiter was friendly.", ["pasta", "waiter"]),
    ("The soup was cold and far too salty.", ["soup"]),
    ("Battery life is excellent on this laptop.", ["Battery life"]),
    ("The screen scratches far too easily.", ["screen"]),
    ("We went there on a Sunday.", []),
    ("I would come back.", []),
]


@pytest.fixture(scope="module")
def tiny_extractor(tiny_base_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole-network extractor on the tiny BERT, fitted to ``TRAIN`` (a few seconds)."""
    from core.ml.terms.data import AnnotatedSentence
    from core.ml.terms.train import ExtractorConfig, train_extractor

    data = [AnnotatedSentence(text, tuple((text.index(t), text.index(t) + len(t)) for t in terms))
            for text, terms in TRAIN] * 4
    cfg = ExtractorConfig(engine="full", base_model=str(tiny_base_model), epochs=8, lr=5e-3, head_lr=5e-3,
                          batch_size=8, device="cpu", amp=False, max_length=64)
    folder = tmp_path_factory.mktemp("extractor") / "model"
    train_extractor(cfg, data).model.save(folder)
    return folder


@pytest.fixture
def ctx(ctx, tiny_extractor: Path):  # type: ignore[no-untyped-def]
    ctx.starter_extractor = tiny_extractor
    return ctx


def counts(db: Path) -> tuple[int, ...]:
    """Rows of what an import or a suggestion run writes (the model's own predictions, which the
    app's predictor stores in the background whenever it has scored, are left out)."""
    conn = sqlite3.connect(db)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("sentences", "terms", "labels WHERE source != 'model'", "term_suggestions",
                               "sentence_documents"))
    finally:
        conn.close()


def sentences_from(db: Path, source: str) -> list[tuple[str, str, int]]:
    """(text, document id, position in the document) of the sentences imported from ``source``."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT s.text, d.document_id, d.document_position FROM sentences s "
                            "JOIN sentence_documents d ON d.sentence_id = s.id WHERE s.source = ? ORDER BY s.id",
                            (source,)).fetchall()
    finally:
        conn.close()


def open_raw_dialog(qtbot, controller, path: Path):  # type: ignore[no-untyped-def]
    assert controller.open_import(path)
    dialog = controller.raw_import.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=10000)
    return dialog


def import_through(qtbot, controller, dialog):  # type: ignore[no-untyped-def]
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(controller.importDone, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    return blocker.args[0]


def close_offer(controller) -> None:
    box = controller.suggest.offer
    assert box is not None and box.isVisible()
    next(b for b in box.buttons() if b.text() == "Later").click()


def test_a_txt_file_is_previewed_split_and_numbered_by_line(qtbot, app, project_file: Path, tmp_path: Path):
    window, controller = app
    raw = tmp_path / "reviews.txt"
    raw.write_text("The pasta was cold. The staff were lovely!\n\nGreat terrace.\n", encoding="utf-8")
    rows_before = window.sentence_model.rowCount()
    dialog = open_raw_dialog(qtbot, controller, raw)
    assert dialog.table.rowCount() == 2 and dialog.table.columnCount() == 1
    assert not dialog.text_combo.isVisibleTo(dialog) and not dialog.id_combo.isVisibleTo(dialog)
    assert dialog.split_box.isChecked() and "2 texts" in dialog.title.text()
    assert "split into sentences" in dialog.summary.text()
    report = import_through(qtbot, controller, dialog)
    assert (report.documents, report.sentences_added, report.terms_added) == (2, 3, 0)
    assert sentences_from(project_file, "reviews.txt") == [
        ("The pasta was cold.", "1", 0), ("The staff were lovely!", "1", 1), ("Great terrace.", "3", 0)]
    close_offer(controller)
    qtbot.waitUntil(lambda: window.sentence_model.rowCount() == rows_before + 3, timeout=10000)


def test_a_csv_takes_the_chosen_text_and_id_columns(qtbot, app, project_file: Path, tmp_path: Path):
    window, controller = app
    raw = tmp_path / "tickets.csv"
    raw.write_text("ticket_no,channel,what_they_said\n"
                   "T-7,email,The app crashes at login. Support never replied.\n"
                   "T-9,phone,Refund arrived quickly.\n", encoding="utf-8")
    dialog = open_raw_dialog(qtbot, controller, raw)
    assert dialog.text_combo.isVisibleTo(dialog) and dialog.text_combo.currentIndex() == -1
    assert not dialog.import_button.isEnabled()  # no column is named like a text: the person chooses
    dialog.text_combo.setCurrentIndex(dialog.text_combo.findText("what_they_said"))
    dialog.id_combo.setCurrentIndex(dialog.id_combo.findData("ticket_no"))
    assert "“what_they_said”" in dialog.summary.text() and "“ticket_no”" in dialog.summary.text()
    assert "what_they_said · text" in dialog.table.horizontalHeaderItem(2).text()
    report = import_through(qtbot, controller, dialog)
    assert (report.documents, report.sentences_added) == (2, 3)
    assert sentences_from(project_file, "tickets.csv") == [
        ("The app crashes at login.", "T-7", 0), ("Support never replied.", "T-7", 1),
        ("Refund arrived quickly.", "T-9", 0)]
    close_offer(controller)
    qtbot.waitUntil(lambda: any(window.sentence_model.record(r).text == "Support never replied."
                                for r in range(window.sentence_model.rowCount())), timeout=10000)
    show_sentence(window, controller, "Support never replied.")
    # The header says where the sentence came from, not its internal "T-7:1" id.
    assert window.term_panel.source_label.text() == "doc T-7 · sentence 2 · tickets.csv"


def test_unchecking_split_keeps_each_text_whole(qtbot, app, project_file: Path, tmp_path: Path):
    _window, controller = app
    raw = tmp_path / "answers.jsonl"
    raw.write_text('{"id": "a", "answer": "Too slow. Too loud."}\n', encoding="utf-8")
    dialog = open_raw_dialog(qtbot, controller, raw)
    assert dialog.text_combo.currentText() == "answer" and dialog.id_combo.currentData() == "id"
    dialog.split_box.setChecked(False)
    assert "kept whole" in dialog.summary.text()
    import_through(qtbot, controller, dialog)
    assert sentences_from(project_file, "answers.jsonl") == [("Too slow. Too loud.", "a", 0)]
    close_offer(controller)


def test_an_xlsx_sheet_is_previewed_and_imported(qtbot, app, project_file: Path, tmp_path: Path):
    from openpyxl import Workbook

    _window, controller = app
    book = Workbook(write_only=True)  # write-only: no <dimension> element, the slow case for a preview
    sheet = book.create_sheet()
    sheet.append(["review_id", "review"])
    sheet.append([17, "Lovely room. Noisy street."])
    sheet.append([18, "Breakfast was cold."])
    raw = tmp_path / "hotel.xlsx"
    book.save(raw)
    dialog = open_raw_dialog(qtbot, controller, raw)
    assert dialog.text_combo.currentText() == "review" and dialog.id_combo.currentData() == "review_id"
    assert "Excel workbook, 2 texts" in dialog.title.text()
    import_through(qtbot, controller, dialog)
    assert sentences_from(project_file, "hotel.xlsx") == [
        ("Lovely room.", "17", 0), ("Noisy street.", "17", 1), ("Breakfast was cold.", "18", 0)]
    close_offer(controller)


def test_a_labeled_file_is_imported_without_the_raw_dialog(qtbot, app, small_tsv: Path):
    _window, controller = app
    with qtbot.waitSignal(controller.importDone, timeout=20000) as blocker:
        assert controller.open_import(small_tsv)
    assert controller.raw_import.dialog is None and blocker.args[0].documents == 0
    assert controller.suggest.offer is None  # labeled data has its terms: nothing to offer


def error_box(window) -> QMessageBox:  # type: ignore[no-untyped-def]
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and box.isVisible()
    return box


def test_undecodable_bytes_show_the_error_dialog_and_change_nothing(qtbot, app, project_file: Path,
                                                                    tmp_path: Path):
    window, controller = app
    before = counts(project_file)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Fine line.\nAnother.\nCaf\xe9 au lait\n")
    with qtbot.waitSignal(controller.raw_import.failed, timeout=10000):
        assert controller.open_import(bad)
    box = error_box(window)
    assert str(bad) in box.text() and "Line: <b>3</b>" in box.text() and "not valid UTF-8" in box.text()
    assert "not changed" in box.text() and controller.raw_import.dialog is None
    box.close()
    assert counts(project_file) == before


def test_a_bad_row_past_the_preview_fails_the_import_whole(qtbot, app, project_file: Path, tmp_path: Path):
    """The preview reads the first MiB; a row past it has a column too many: nothing of the file is stored."""
    window, controller = app
    before = counts(project_file)
    bad = tmp_path / "long.csv"
    n = PREVIEW_BYTES // 20
    good = "".join(f"{i},Answer {i} was fine.\n" for i in range(1, n + 1))
    bad.write_text("id,text\n" + good + "x,one,too many\n", encoding="utf-8")
    assert bad.stat().st_size > PREVIEW_BYTES
    dialog = open_raw_dialog(qtbot, controller, bad)
    assert dialog.table.rowCount() == 20
    assert import_through(qtbot, controller, dialog) is None
    box = error_box(window)
    assert str(bad) in box.text() and f"Line: <b>{n + 2}</b>" in box.text() and "not changed" in box.text()
    box.close()
    assert counts(project_file) == before and controller.suggest.offer is None


def test_a_bad_row_in_a_small_file_is_shown_before_import(qtbot, app, project_file: Path, tmp_path: Path):
    """A file within the preview's first MiB is read whole for the dialog: its error shows at once."""
    window, controller = app
    before = counts(project_file)
    bad = tmp_path / "short.csv"
    bad.write_text("id,text\n" + "".join(f"{i},Answer {i}.\n" for i in range(1, 31)) + "x,one,too many\n",
                   encoding="utf-8")
    with qtbot.waitSignal(controller.raw_import.failed, timeout=10000):
        assert controller.open_import(bad)
    box = error_box(window)
    assert "Line: <b>32</b>" in box.text() and "expected 2 columns" in box.text()
    box.close()
    assert counts(project_file) == before


def test_a_chosen_column_gone_by_import_time_is_an_error(qtbot, app, project_file: Path, tmp_path: Path):
    """The file changed between the preview and Import (someone saved it without the column)."""
    window, controller = app
    before = counts(project_file)
    raw = tmp_path / "survey.csv"
    raw.write_text("id,comment\n1,Nice.\n", encoding="utf-8")
    dialog = open_raw_dialog(qtbot, controller, raw)
    raw.write_text("id,note\n1,Nice.\n", encoding="utf-8")
    assert import_through(qtbot, controller, dialog) is None
    box = error_box(window)
    assert "no text column &#x27;comment&#x27;" in box.text() and "Line: <b>1</b>" in box.text()
    box.close()
    assert counts(project_file) == before


def test_the_preview_reads_only_the_head_of_a_large_file(qtbot, app, tmp_path: Path):
    """Past the first MiB the file is broken: the preview never reads that far, so it shows."""
    _window, controller = app
    big = tmp_path / "big.csv"
    row = "The soup was cold and the waiter forgot us entirely again.\n"
    n = 3 * PREVIEW_BYTES // len(row)
    with open(big, "wb") as fh:
        fh.write(b"text\n" + row.encode() * n + b"\xff\xfe broken\n")
    result = preview_job(str(big), on_progress=lambda _e: None, should_stop=lambda: False)
    assert len(result.preview.rows) == 20 and result.about and result.rows == n + 1
    dialog = open_raw_dialog(qtbot, controller, big)
    assert dialog.table.rowCount() == 20 and f"about {n + 1:,} texts" in dialog.title.text()
    dialog.reject()
    assert controller.raw_import.dialog is None


def fresh_project(controller, tmp_path: Path, tiny_model: Path) -> Path:  # type: ignore[no-untyped-def]
    db = tmp_path / "raw.db"
    assert controller.create_and_open(db)
    with Project.open(db) as store:
        assert store.active_model() is not None  # the tiny polarity model gives each suggestion its polarity
    return db


def test_suggest_terms_now_after_a_raw_import_stores_the_extractors_terms(qtbot, app, tmp_path: Path,
                                                                          tiny_model: Path, tiny_extractor: Path):
    from core.ml.terms.extractor import TermExtractor

    window, controller = app
    db = fresh_project(controller, tmp_path, tiny_model)
    raw = tmp_path / "visit.txt"
    raw.write_text(f"{TRAIN[0][0]} {TRAIN[1][0]}\n{TRAIN[2][0]}\n{TRAIN[4][0]}\n", encoding="utf-8")
    import_through(qtbot, controller, open_raw_dialog(qtbot, controller, raw))
    box = controller.suggest.offer
    assert box is not None and box.isVisible() and box.defaultButton().text() == "Suggest terms now"
    with qtbot.waitSignal(controller.suggest.done, timeout=60000) as blocker:
        box.defaultButton().click()
        assert window.job_progress.isVisible()
    report = blocker.args[0]
    texts = [t for t, _doc, _pos in sentences_from(db, "visit.txt")]
    expected = TermExtractor.load(tiny_extractor, device="cpu").extract(texts)
    assert report.sentences == 4 and report.added == sum(len(x) for x in expected) > 0
    with Project.open(db) as store:
        assert store.suggestion_counts()["open"] == report.added
        ids = [r.id for r in sorted(store.page(limit=10), key=lambda r: r.id)]
        stored = [[(s.start, s.end) for s in store.suggestions(i)] for i in ids]
        assert stored == [[(t.start, t.end) for t in terms] for terms in expected]
        assert all(s.predicted is not None and sum(s.probabilities) == pytest.approx(1, abs=1e-3)
                   for i in ids for s in store.suggestions(i))
    assert controller.suggest.outcome == "finished" and not window.job_progress.isVisible()
    assert "new term suggestions" in window.statusBar().currentMessage()


def test_ctrl_shift_t_starts_and_escape_stops_before_anything_is_stored(qtbot, app, tmp_path: Path,
                                                                         tiny_model: Path):
    window, controller = app
    db = fresh_project(controller, tmp_path, tiny_model)
    with Project.open(db) as store:
        store.add_sentence(TRAIN[0][0])
    view = window.term_panel.sentence_view
    assert window.actions["suggest_terms"].isEnabled() and not window.actions["cancel_suggest"].isEnabled()
    with qtbot.waitSignal(controller.suggest.done, timeout=60000) as blocker:
        qtbot.keyClick(view, Qt.Key_T, Qt.ControlModifier | Qt.ShiftModifier)
        assert controller.suggest.running and window.actions["cancel_suggest"].isEnabled()
        assert not window.actions["suggest_terms"].isEnabled()
        qtbot.keyClick(view, Qt.Key_Escape)  # while the extractor loads: before the first chunk
    assert blocker.args == [None] and controller.suggest.outcome == "cancelled"
    assert counts(db)[3] == 0 and window.actions["suggest_terms"].isEnabled()


def test_while_training_runs_its_escape_stops_the_suggestions_too(qtbot, app, tmp_path: Path, tiny_model: Path):
    """Two enabled actions on Escape would make Qt fire neither: only the training's is on, and it stops both."""
    window, controller = app
    fresh_project(controller, tmp_path, tiny_model)
    a = window.actions
    with qtbot.waitSignal(controller.suggest.done, timeout=60000) as blocker:
        assert controller.suggest.start() and a["cancel_suggest"].isEnabled()
        a["cancel_training"].setEnabled(True)  # what TrainingController does while a training runs
        assert not a["cancel_suggest"].isEnabled()
        qtbot.keyClick(window.term_panel.sentence_view, Qt.Key_Escape)
    assert blocker.args == [None] and controller.suggest.outcome == "cancelled"
    a["cancel_training"].setEnabled(False)
    assert not a["cancel_suggest"].isEnabled() and a["suggest_terms"].isEnabled()


def test_long_jobs_hold_back_only_the_full_collections_and_restore_them():
    import gc

    from app.services.gc_pause import NEVER, young_collections_only

    before = gc.get_threshold()
    with young_collections_only():
        with young_collections_only():  # overlapping jobs
            assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] == NEVER
        assert gc.get_threshold()[2] == NEVER  # the other job still runs
    assert gc.get_threshold() == before and gc.isenabled()


def test_suggest_job_prefers_the_extractor_the_project_trained_for_itself(tmp_path: Path, tiny_extractor: Path):
    """A retrain registers the project's own extractor; "Suggest terms" must use it before the starter
    (here a folder that does not exist, so using it would fail)."""
    import shutil

    from app.services.suggest_service import suggest_job
    from core.ml.terms.extractor import TermExtractor

    db = tmp_path / "own.polarity"
    texts = [TRAIN[0][0], TRAIN[2][0]]
    with Project.create(db) as store:
        store.import_file(_write(tmp_path / "raw.txt", "\n".join(texts) + "\n"), None)
        own = store.new_extractor_folder()
        shutil.copytree(tiny_extractor, own)
        store.register_extractor(own, {"dev_f1": 1.0})
        models_dir = str(store.models_dir)
    report = suggest_job(str(db), models_dir, str(tmp_path / "no-such-starter"), "cpu",
                         on_progress=lambda _e: None, should_stop=lambda: False)
    expected = TermExtractor.load(tiny_extractor, device="cpu").extract(texts)
    assert report.added == sum(len(x) for x in expected) > 0


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
