"""Helpers the window tests share: settings, showing the window, picking sentences and terms,
pressing keys, and reading the store through a fresh connection, as another process would."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from app.state.settings import Key, Settings
from core.domain import Polarity
from core.storage import Project, SentenceFilter

UNLABELED = "The staff were kind but the coffee was lukewarm."
PASTA = "The pasta was delicious and the waiter was friendly."


def make_settings(path: Path, base_model: Path, epochs: int = 1) -> Settings:
    settings = Settings(QSettings(str(path), QSettings.IniFormat))
    settings.set(Key.BASE_MODEL, str(base_model))
    settings.set(Key.EPOCHS, epochs)
    settings.set(Key.HEAD_EPOCHS, 3)
    settings.set(Key.DEVICE, "cpu")
    return settings


def make_project(path: Path, small_tsv: Path, model: Path | None) -> Path:
    """The small labeled file plus one unlabeled term ("coffee" in ``UNLABELED``), with ``model`` as v1."""
    from app.services.project_service import create_project

    create_project(path, model)
    with Project.open(path) as store:
        store.import_file(small_tsv)
        sentence = store.add_sentence(UNLABELED)
        store.add_term(sentence.id, UNLABELED.index("coffee"), UNLABELED.index("coffee") + len("coffee"))
    return path


def show_window(qtbot, window) -> None:
    """Shown and active: the window's shortcuts only fire in the active window."""
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def row_of(window, text: str) -> int:
    model = window.sentence_model
    return next(r for r in range(model.rowCount()) if model.record(r).text == text)


def show_sentence(window, controller, text: str) -> None:
    controller.labeling.select_row(row_of(window, text))
    assert window.term_panel.sentence_view.text() == text


def click_word(qtbot, window, word: str) -> None:
    view = window.term_panel.sentence_view
    start = view.text().index(word)
    qtbot.mouseClick(view, Qt.LeftButton, pos=view.span_rect(start, start + len(word)).center().toPoint())


def key(qtbot, window, k: Qt.Key, modifiers=Qt.NoModifier) -> None:
    qtbot.keyClick(window.term_panel.sentence_view, k, modifiers)


def row_terms(window, text: str) -> dict[str, Polarity | None]:
    model = window.sentence_model
    rec = model.record(row_of(window, text))
    return {t.text: t.label for t in rec.terms}


def store_label(path: Path | str, sentence: str, term: str) -> tuple[bool, Polarity | None]:
    """(term exists, its current label) read through a fresh connection."""
    with Project.open(path) as store:
        for rec in store.page(SentenceFilter(text=sentence[:20]), limit=10):
            for t in rec.terms:
                if rec.text == sentence and t.text == term:
                    return True, t.label
    return False, None


def store_term(path: Path | str, sentence: str, term: str):  # type: ignore[no-untyped-def]
    """The ``TermRecord`` of ``term`` in ``sentence``, read through a fresh connection."""
    with Project.open(path) as store:
        rec = next(r for r in store.page(SentenceFilter(text=sentence[:20]), limit=10) if r.text == sentence)
        return next(t for t in rec.terms if t.text == term)
