"""Several annotators on one project at once (PostgreSQL; the same on a SQLite file): writer
processes labeling the same terms at the same moment lose no write, the current label is the
newest history row, authors are recorded, and the app can poll for what others labeled."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from core.domain import Polarity, Prediction, TermExample
from core.storage import Project, StoreError
from core.storage.schema import Label, Term

ROOT = Path(__file__).resolve().parents[2]
NEG, NEU, POS = Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE
WRITERS = 4
WRITES = 40  # per writer, after the first (a clash on one term)
TERMS = 6  # few terms, so writers keep meeting on the same one


def make_project(location, n: int = TERMS) -> list[int]:
    with Project.create(location) as p:
        rows = [f"Review {i}: the soup was fine." for i in range(n)]
        p.import_examples([TermExample(s, s.index("soup"), s.index("soup") + 4) for s in rows])
        return [tid for tid, _ in p.unlabeled_terms()]


WRITER = """
    import os, random, sys, time
    from core.domain import LABELS
    from core.storage import Project, StoreError

    location, name, go, seed, writes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    rng = random.Random(seed)
    with Project.open(location, author=name) as project:
        terms = [tid for tid, _ in project.unlabeled_terms()]
        project.latest_event_id()  # connected and warm
        print("ready", flush=True)
        while not os.path.exists(go):  # every writer starts at the same moment
            time.sleep(0.001)
        first = project.set_label(terms[0], LABELS[2])  # all writers: the same term, the same label
        print(first.id, flush=True)
        for _ in range(writes):
            label = rng.choice([*LABELS, None])
            try:
                event = (project.set_label(rng.choice(terms), label) if rng.random() < 0.85
                         else project.undo(terms[0], only_by=name))
            except StoreError:  # another writer labeled terms[0] last: undo refuses to take theirs back
                event = None
            if event is not None:
                print(event.id, flush=True)  # printed only after the commit returned
"""


def run_writers(location, tmp_path: Path) -> dict[str, list[int]]:
    go = tmp_path / "go"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    procs = {f"w{k}": subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(location), f"w{k}",
                                        str(go), str(k), str(WRITES)], cwd=ROOT, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(WRITERS)}
    try:
        for name, proc in procs.items():
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        go.touch()
        committed = {}
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err
            committed[name] = [int(x) for x in out.split()]
        return committed
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_writer_processes_at_once_lose_no_label_and_the_newest_is_current(store_url, tmp_path):
    terms = make_project(store_url)
    t0 = time.perf_counter()
    committed = run_writers(store_url, tmp_path)
    seconds = time.perf_counter() - t0
    with Project.open(store_url) as p, p.engine.connect() as conn:
        rows = conn.execute(select(Label.id, Label.term_id, Label.polarity, Label.author, Label.created_at,
                                   Label.source).where(Label.source != "model").order_by(Label.id)).all()
        current = dict(conn.execute(select(Term.id, Term.current_label)).all())
    by_id = {r.id: r for r in rows}
    for name, ids in committed.items():
        missing = [i for i in ids if i not in by_id]
        assert not missing, f"{name}: committed labels {missing} are not in the history"
        assert all(by_id[i].author == name for i in ids)
    # The clash: every writer's first label on the same term is its own row (agreement is history).
    firsts = {ids[0] for ids in committed.values()}
    assert len(firsts) == WRITERS and {by_id[i].term_id for i in firsts} == {terms[0]}
    # Newest by (created_at, id) is newest by id: ids and stamps are given under one write lock.
    assert [(r.created_at, r.id) for r in rows] == sorted((r.created_at, r.id) for r in rows)
    for tid in terms:
        history = [r for r in rows if r.term_id == tid]
        newest = max(history, key=lambda r: (r.created_at, r.id))
        assert current[tid] == newest.polarity, f"term {tid}: cached {current[tid]}, newest {newest.polarity}"
    n = sum(len(ids) for ids in committed.values())
    print(f"\n{WRITERS} writers, {n} committed labels in {seconds:.2f} s")


def test_polling_gives_what_others_labeled_since_a_marker(store_url):
    make_project(store_url)
    with Project.open(store_url, author="ann") as ann, Project.open(store_url, author="bob") as bob:
        marker = ann.latest_event_id()
        assert marker == 0 and ann.changes_since(marker) == []
        terms = [tid for tid, _ in bob.unlabeled_terms()]
        b1 = bob.set_label(terms[1], NEG)
        b2 = bob.set_label(terms[2], POS)
        folder = Path(str(bob.models_dir)) / "m"
        folder.mkdir(parents=True)
        version = bob.register_model(folder, "two-phase", "bundled", {}, {}, 2)
        bob.store_predictions(version.id, [(terms[3], Prediction(NEU, (0.2, 0.6, 0.2)))])  # not a label
        changes = ann.changes_since(marker)
        assert [(e.id, e.author, e.polarity) for e in changes] == [(b1.id, "bob", NEG), (b2.id, "bob", POS)]
        sentences = {s.id: s for s in ann.sentences([e.sentence_id for e in changes])}
        assert [sentences[e.sentence_id].terms[0].label for e in changes] == [NEG, POS]
        marker = ann.latest_event_id()
        assert marker == b2.id and ann.changes_since(marker) == []
        bob.set_label(terms[1], POS)  # another person agrees: a row of its own; the same person: none
        ann_row = ann.set_label(terms[1], POS)
        assert ann.set_label(terms[1], POS).id == ann_row.id and ann_row.author == "ann"
        assert [e.author for e in ann.changes_since(marker)] == ["bob", "ann"]
        assert len(ann.changes_since(0, limit=2)) == 2
        ann.import_examples([TermExample("Rainy terrace.", 6, 13, NEG)])
        assert ann.changes_since(ann_row.id)[-1].author == "ann"  # imports record their author too
        assert ann.undo(terms[1]).author == "ann"


def test_undo_never_takes_back_another_person_s_label(store_url):
    make_project(store_url)
    with Project.open(store_url, author="ann") as ann, Project.open(store_url, author="bob") as bob:
        term = ann.unlabeled_terms()[0][0]
        ann.set_label(term, NEG)
        bob.set_label(term, POS)
        with pytest.raises(StoreError, match="bob labeled this term after you"):
            ann.undo(term, only_by="ann")
        assert ann.get_term(term).label is POS  # nothing was written
        assert bob.undo(term, only_by="bob").polarity is NEG and bob.redo(term).polarity is POS
        assert ann.undo(term).polarity is NEG  # without only_by: the newest action, whoever's


def test_the_default_author_is_the_environment_s_or_the_os_user(store_url, monkeypatch):
    import getpass

    make_project(store_url)
    monkeypatch.delenv("POLARITY_AUTHOR", raising=False)
    with Project.open(store_url) as p:
        assert p.set_label(p.unlabeled_terms()[0][0], POS).author == getpass.getuser()
    monkeypatch.setenv("POLARITY_AUTHOR", "carol")
    with Project.open(store_url) as p:
        assert p.author == "carol" and p.set_label(p.unlabeled_terms()[0][0], NEG).author == "carol"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # the models folder rule is a server's
def test_a_server_project_keeps_its_models_folder_and_it_can_be_overridden(store_url, tmp_path, monkeypatch):
    from core.storage import StoreError

    monkeypatch.delenv("POLARITY_MODELS_DIR")
    with pytest.raises(StoreError, match="needs a models folder"):
        Project.create(store_url)
    shared = tmp_path / "share" / "models"
    with Project.create(store_url, models_dir=shared) as p:
        assert p.models_dir == shared.resolve() and p.get_setting("models_dir") == str(shared.resolve())
        (shared / "v1").mkdir(parents=True)
        p.register_model(shared / "v1", "two-phase", "bundled", {}, {}, 0)
    with pytest.raises(StoreError, match="holds a Polarity Studio project already"):
        Project.create(store_url, models_dir=shared)
    with Project.open(store_url) as p:  # the folder set at init
        assert p.models_dir == shared.resolve() and p.active_model().folder == str(shared.resolve() / "v1")
    mounted = tmp_path / "elsewhere"  # another member mounts the share at another path
    monkeypatch.setenv("POLARITY_MODELS_DIR", str(mounted))
    with Project.open(store_url) as p:
        assert p.active_model().folder == str(mounted / "v1")  # stored relative to the models folder
    with Project.open(store_url, models_dir=shared) as p:  # --models-dir beats the environment
        assert p.models_dir == shared.resolve()
