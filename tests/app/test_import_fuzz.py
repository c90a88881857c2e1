"""The app's boundary of the fuzz property (tests/core/test_fuzz_readers.py): importing a file the
fuzzing turned up shows the error dialog with file, line and reason, and the project is unchanged.

Kept to the window's public surface (``build``, ``open_path``, ``import_file``, ``importDone``, the
``errorDialog`` box) so that it survives the app's restructuring with few edits.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from app.context import AppContext
from app.main import build
from app.state.settings import Settings
from core.storage import Project

S14 = ('<sentences><sentence id="1"><text>The pizza</text><aspectTerms>'
       '<aspectTerm term="pizza" polarity="positive" from="4" to="9"/></aspectTerms></sentence></sentences>\n')
# (file, bytes, the line the dialog names, a piece of its reason; the box holds escaped HTML)
HOSTILE = [
    ("encoding.xml", ('<?xml version="1.0" encoding="UTl-8"?>\n' + S14).encode(), 1, "encoding &#x27;UTl-8&#x27;"),
    ("huge.tsv", b"positive\t\tpizza\t4:9\tThe pizza\npositive\t\tpizza\t4:" + b"9" * 5000 + b"\tThe pizza\n",
     2, "too large"),
    ("deep.jsonl", b'{"text": "The soup", "start": 4, "end": 8}\n' + b"[" * 100000 + b"\n", 2, "nested too deeply"),
]


def table_counts(db: Path) -> tuple[int, ...]:
    conn = sqlite3.connect(db)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("sentences", "terms", "labels"))
    finally:
        conn.close()


@pytest.fixture
def window_and_controller(qtbot, tmp_path: Path, small_tsv: Path):
    db = tmp_path / "p.db"
    with Project.create(db) as store:
        store.import_file(small_tsv)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    window, controller = build(AppContext.create(tmp_path / "data", settings, starter_model=False))
    qtbot.addWidget(window)
    window.show()
    assert controller.open_path(db)
    yield window, controller, db
    window.close()


@pytest.mark.parametrize(("name", "data", "line", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_fuzzed_file_shows_file_line_and_reason_and_changes_nothing(qtbot, window_and_controller, tmp_path: Path,
                                                                      name: str, data: bytes, line: int,
                                                                      reason: str) -> None:
    window, controller, db = window_and_controller
    before = table_counts(db)
    bad = tmp_path / name
    bad.write_bytes(data)
    with qtbot.waitSignal(controller.importDone, timeout=20000) as blocker:
        assert controller.import_file(bad)
    assert blocker.args == [None]
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and box.isVisible()
    assert str(bad) in box.text() and f"Line: <b>{line}</b>" in box.text(), box.text()
    assert reason in box.text() and "not changed" in box.text()
    box.close()
    assert table_counts(db) == before
