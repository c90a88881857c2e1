"""The CLI boundary of the fuzz property: files the fuzz test (test_fuzz_readers.py) turned up go
through the real ``polarity`` process. Each exits 2 with one line naming the file, no traceback,
and the project it was imported into is unchanged."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
S14 = ('<sentences><sentence id="1"><text>The pizza</text><aspectTerms>'
       '<aspectTerm term="pizza" polarity="positive" from="4" to="9"/></aspectTerms></sentence></sentences>\n')

# (file name, bytes, the line the error names): one of each kind of failure fuzzing found or probes.
HOSTILE: list[tuple[str, bytes, int]] = [
    ("encoding.xml", ('<?xml version="1.0" encoding="UTl-8"?>\n' + S14).encode(), 1),
    ("huge.tsv", b"positive\t\tpizza\t4:" + b"9" * 5000 + b"\tThe pizza\n", 1),
    ("deep.jsonl", b'{"text": "The pizza", "start": 4, "end": 9, "label": "positive"}\n' + b"[" * 100000 + b"\n", 2),
    ("flipped.xml", ('<?xml version="1.0"?>\n' + S14).replace("</text>", "</teyt>").encode(), 2),
    ("bytes.csv", b"text,term,label\nThe pizza,pizza,positive\nThe \xff soup,soup,negative\n", 3),
]


def polarity(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    return subprocess.Popen([sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def rows(db: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(db)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
                     for t in ("sentences", "terms", "labels"))
    finally:
        conn.close()


@pytest.mark.slow
def test_hostile_files_exit_2_with_one_line_through_evaluate_and_project_import(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "Fine soup.", "start": 5, "end": 9, "label": "positive"}\n', encoding="utf-8")
    assert polarity("project", "init", str(db)).wait(timeout=120) == 0
    assert polarity("project", "import", str(db), str(good)).wait(timeout=120) == 0
    before = rows(db)
    runs = []
    for name, data, line in HOSTILE:
        path = tmp_path / name
        path.write_bytes(data)
        # Imports into one project run one after another; evaluations run beside them.
        runs.append((path, line, polarity("evaluate", "--data", str(path))))
        importing = polarity("project", "import", str(db), str(path))
        runs.append((path, line, importing))
        importing.wait(timeout=120)
    for path, line, proc in runs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (path, err)
        assert "Traceback" not in err and out == "", (path, err)
        assert err.count("\n") == 1 and err.startswith(f"polarity: error: {path}:{line}: "), (path, err)
    assert rows(db) == before
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
