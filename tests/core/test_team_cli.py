"""`polarity project ...` on a team project: the project as a path, ``--db URL`` or
``$POLARITY_DB_URL`` (on SQLite and PostgreSQL), authors on imported labels, and the password of
a URL kept out of messages, the database, logs, exports and model folders."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from core.cli import main
from core.storage import Project

PASSWORD = "s3cret-Pw0rd"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_way_to_name_the_project_and_their_precedence(store_url, small_tsv, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("POLARITY_DB_URL", raising=False)
    code, _, err = run(capsys, "project", "stats")
    assert code == 2 and "POLARITY_DB_URL" in err
    code, out, err = run(capsys, "project", "init", "--db", store_url, "--json")
    assert code == 0, err
    assert json.loads(out)["schema_version"] >= 2
    code, out, err = run(capsys, "project", "import", "--db", store_url, small_tsv, "--author", "ann", "--json")
    assert code == 0 and json.loads(out)["labels_added"] == 24, err
    monkeypatch.setenv("POLARITY_DB_URL", str(store_url))
    code, out, _ = run(capsys, "project", "stats", "--json")  # from the environment
    assert json.loads(out)["labeled"] == 24
    code, out, _ = run(capsys, "project", "export", tmp_path / "out.tsv")
    assert code == 0 and "wrote 24 rows" in out
    other = tmp_path / "other.db"  # an explicit PROJECT.db beats the environment
    run(capsys, "project", "init", other)
    assert json.loads(run(capsys, "project", "stats", other, "--json")[1])["sentences"] == 0
    code, _, err = run(capsys, "project", "stats", other, "--db", store_url)
    assert code == 2 and "not both" in err
    code, _, err = run(capsys, "project", "init")
    assert code == 2 and ("exists already" in err or "holds a Polarity Studio project already" in err)
    with Project.open(store_url) as p:
        assert {e.author for e in p.changes_since(0)} == {"ann"}  # the imported labels are ann's


def test_a_bad_url_shows_its_password_as_stars(capsys, monkeypatch, tmp_path):
    """No server needed: nothing listens on port 1, and a URL that does not parse fails first."""
    refused = f"postgresql+psycopg://ann:{PASSWORD}@127.0.0.1:1/nowhere"
    code, _, err = run(capsys, "project", "stats", "--db", refused)
    assert code == 2 and "ann:***@127.0.0.1:1/nowhere" in err and "cannot open" in err
    assert PASSWORD not in err and "Traceback" not in err
    monkeypatch.setenv("POLARITY_DB_URL", f"postgresql+psycopg://ann:{PASSWORD}@127.0.0.1:port/x")
    code, _, err = run(capsys, "project", "import", tmp_path / "x.tsv")
    assert code == 2 and "ann:***@" in err and "not a database URL" in err and PASSWORD not in err
    code, _, err = run(capsys, "project", "stats", "--db", f"mysql://ann:{PASSWORD}@127.0.0.1/x")
    assert code == 2 and "unsupported database" in err and PASSWORD not in err


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_password_lands_nowhere(store_url, small_tsv, tmp_path, capsys, monkeypatch, caplog):
    # The test server trusts local connections, so any password connects: a real one to look for.
    url = make_url(str(store_url)).set(password=PASSWORD).render_as_string(hide_password=False)
    models = tmp_path / "team-models"
    monkeypatch.setenv("POLARITY_DB_URL", url)
    caplog.set_level(logging.DEBUG)
    printed = []
    for argv in (["init", "--models-dir", models], ["import", small_tsv], ["stats"], ["models"],
                 ["export", tmp_path / "out.jsonl"], ["export", tmp_path / "out.xml", "--format", "semeval16"]):
        code, out, err = run(capsys, "project", *argv)
        assert code == 0, err
        printed.append(out + err)
    assert "***@" in printed[0] and PASSWORD not in "".join(printed)
    assert PASSWORD not in caplog.text
    for export in ("out.jsonl", "out.xml"):
        assert PASSWORD not in (tmp_path / export).read_text(encoding="utf-8")
    with Project.open(url) as p:
        assert PASSWORD not in p.location and p.location.count("***") == 1
        assert PASSWORD not in dump(p)


def dump(project: Project) -> str:
    """Every row of every table of the project, as text."""
    with project.engine.connect() as conn:
        return repr([conn.exec_driver_sql(f'SELECT * FROM "{t}"').all() for t in inspect(conn).get_table_names()])


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_training_on_a_server_writes_no_password_into_the_model_or_the_run(
        store_url, small_examples, tiny_base_model, tmp_path, monkeypatch):
    from core.ml.config import TrainConfig
    from core.ml.project_train import train_project

    url = make_url(str(store_url)).set(password=PASSWORD).render_as_string(hide_password=False)
    models = tmp_path / "shared-models"
    monkeypatch.delenv("POLARITY_MODELS_DIR")
    with Project.create(url, models_dir=models) as p:
        p.import_examples(small_examples)
    cfg = TrainConfig.for_engine("two-phase", base_model=str(tiny_base_model), epochs=(1, 1), batch_size=8,
                                 device="cpu")
    run_record, version = train_project(url, cfg)  # the models folder comes from the database
    assert run_record.status == "succeeded" and Path(version.folder).parent == models.resolve()
    for f in Path(version.folder).rglob("*"):
        if f.is_file() and f.suffix in (".json", ".txt", ".md", ""):
            assert PASSWORD not in f.read_text(encoding="utf-8", errors="replace"), f
    with Project.open(url) as p:
        assert PASSWORD not in dump(p)
