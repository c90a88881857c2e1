"""What must hold with real processes, on a SQLite file and on PostgreSQL (``store_url``): a
SIGKILL in the middle of label writes loses no committed label and leaves a sound database; two
connections neither block nor lose writes; a training run killed mid-way is marked failed and
the previous model stays active."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.domain import LABELS, Polarity, TermExample
from core.storage import Project
from core.storage.schema import Label

ROOT = Path(__file__).resolve().parents[2]


def child(code: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def make_project(path, n: int = 40) -> None:
    with Project.create(path) as p:
        rows = [f"Sentence number {i} has a term." for i in range(n)]
        p.import_examples([TermExample(s, s.index("term"), s.index("term") + 4) for s in rows])


WRITER = """
    import sys
    from core.domain import LABELS
    from core.storage import Project

    project = Project.open(sys.argv[1])
    terms = [tid for tid, _ in project.unlabeled_terms()]
    i = 0
    while True:
        tid = terms[i % len(terms)]
        event = project.set_label(tid, LABELS[(i // len(terms)) % 3], author="child")
        print(event.id, flush=True)  # printed only after the commit returned
        i += 1
"""


def check_consistent(location) -> None:
    """Every term's cached label is its newest human/import history row."""
    with Project.open(location) as p, p.engine.connect() as conn:
        rows = conn.exec_driver_sql("""
            SELECT t.id, t.current_label,
                   (SELECT polarity FROM labels l WHERE l.term_id = t.id AND l.source != 'model'
                    ORDER BY l.id DESC LIMIT 1)
            FROM terms t""").all()
    assert rows and all(cached == newest for _tid, cached, newest in rows)


def test_sigkill_during_label_writes_loses_no_committed_label(tmp_path, store_url, backend):
    path = store_url
    make_project(path)
    proc = child(WRITER, str(path))
    committed: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(committed) < 300 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            committed.append(int(line))
        assert len(committed) >= 300, proc.stderr.read()
        if backend == "sqlite":
            assert (tmp_path / "p.db-wal").exists()  # the writes sit in the WAL, not yet checkpointed
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
    committed += [int(x) for x in rest.split()]
    assert proc.returncode == -signal.SIGKILL

    if backend == "sqlite":
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.close()
    with Project.open(path) as p, p.engine.connect() as c:
        stored = set(c.execute(select(Label.id)).scalars())
    missing = set(committed) - stored
    assert not missing, f"{len(missing)} committed labels lost"
    check_consistent(path)


def test_a_reader_holding_a_snapshot_neither_blocks_nor_loses_writes(store_url):
    path = store_url
    make_project(path)
    with Project.open(path) as gui, Project.open(path) as trainer:
        tid = gui.unlabeled_terms()[0][0]
        with trainer._read() as snap:  # a training thread reading its snapshot, slowly
            before = snap.scalar(select(func.count()).select_from(Label))
            t0 = time.perf_counter()
            ids = [gui.set_label(tid, LABELS[i % 3]).id for i in range(30)]
            assert time.perf_counter() - t0 < 5  # no wait on the lock (busy timeout is 15 s)
            assert snap.scalar(select(func.count()).select_from(Label)) == before  # its snapshot is stable
        assert [e.id for e in trainer.history(tid)] == ids
        assert trainer.get_term(tid).label is LABELS[29 % 3] and trainer.get_term(tid).text == "term"


def test_two_writers_in_two_threads_queue_instead_of_failing(store_url):
    path = store_url
    make_project(path, n=20)
    with Project.open(path) as p:
        terms = [tid for tid, _ in p.unlabeled_terms()]
    results: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def writer(name: str, mine: list[int]) -> None:
        try:
            with Project.open(path) as own:  # one connection per thread
                results[name] = [own.set_label(t, LABELS[k % 3]).id for k in range(10) for t in mine]
                own.import_examples([TermExample(f"{name} wrote this.", 0, len(name), Polarity.POSITIVE)])
        except BaseException as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n, terms[i::2])) for i, n in enumerate(("gui", "worker"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    with Project.open(path) as p, p.engine.connect() as c:
        stored = set(c.execute(select(Label.id)).scalars())
        assert set(results["gui"]) | set(results["worker"]) <= stored
        assert len(results["gui"]) == len(results["worker"]) == 100
        assert p.stats().sentences == 22
    check_consistent(path)


TRAINER = """
    import sys, time
    from core.ml.config import TrainConfig
    from core.ml.project_train import train_project

    def progress(event):
        print("training", event.step, event.total, flush=True)
        time.sleep(600)  # the parent kills us here, in the middle of the run

    cfg = TrainConfig.for_engine("two-phase", base_model=sys.argv[2], epochs=(1, 2), batch_size=8, device="cpu")
    train_project(sys.argv[1], cfg, on_progress=progress)
"""


@pytest.mark.slow
def test_a_training_run_killed_midway_is_failed_on_next_open_and_the_old_model_stays(
        store_url, small_examples, tiny_base_model):
    from core.ml.config import TrainConfig
    from core.ml.model import PolarityModel
    from core.ml.project_train import train_project

    path = store_url
    with Project.create(path) as p:
        p.import_examples(small_examples)
    cfg = TrainConfig.for_engine("two-phase", base_model=str(tiny_base_model), epochs=(1, 2), batch_size=8,
                                 device="cpu")
    _, v1 = train_project(path, cfg)

    proc = child(TRAINER, str(path), str(tiny_base_model))
    try:
        line = proc.stdout.readline()
        assert line.startswith("training"), proc.stderr.read()
        with Project.open(path) as p:  # while it runs, nobody marks it failed
            assert p.runs()[0].status == "running"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    # what a kill in the middle of PolarityModel.save leaves: a hidden temporary sibling folder
    partial = Path(v1.folder).parent / ".v2.tmp-0123abcd"
    (partial / "encoder").mkdir(parents=True)
    (partial / "encoder" / "model.safetensors").write_bytes(b"half")

    with Project.open(path) as p:
        assert not partial.exists() and Path(v1.folder).is_dir()
        run = p.runs()[0]
        assert run.status == "failed" and "interrupted" in run.error and run.model_version_id is None
        active = p.active_model()
        assert active.id == v1.id and [m.id for m in p.models()] == [v1.id]
        model = PolarityModel.load(active.folder, device="cpu")
        assert len(model.predict(small_examples[:3])) == 3
    if not str(path).startswith("postgresql"):
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()


IMPORTER = """
    import sys, time
    import core.storage.io as io
    from core.storage import Project

    real = io.insert_rows

    def insert_rows(conn, table, rows, **kw):
        ids = real(conn, table, rows, **kw)
        if table.name == "labels":  # sentences and terms are in; the transaction is still open
            print("inserted", len(rows), flush=True)
            time.sleep(60)
        return ids

    io.insert_rows = insert_rows
    with Project.open(sys.argv[1]) as p:
        p.import_file(sys.argv[2])
"""


def test_a_kill_during_a_large_import_leaves_the_project_unchanged(tmp_path, store_url, backend):
    make_project(store_url)
    before = Project.open(store_url)
    stats = before.stats()
    before.close()
    big = tmp_path / "big.tsv"
    big.write_text("".join(f"positive\t\tterm\t{12 + len(str(i))}:{16 + len(str(i))}\tNew review {i} term.\n"
                           for i in range(20000)), encoding="utf-8")
    proc = child(IMPORTER, str(store_url), str(big))
    try:
        line = proc.stdout.readline()
        assert line.startswith("inserted 20000"), proc.stderr.read()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    with Project.open(store_url) as p:
        assert p.stats() == stats
    if backend == "sqlite":
        conn = sqlite3.connect(store_url)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
    with Project.open(store_url) as p:  # and the same file imports whole afterwards
        assert p.import_file(big).terms_added == 20000
