"""`polarity project ...`: init, import, export, stats, train, predict, models; errors exit 2
with file, line and reason and no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.formats import read_examples

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_init_import_stats_export(tmp_path, capsys, small_tsv):
    db = tmp_path / "p.db"
    assert run(capsys, "project", "init", db, "--no-starter")[0] == 0
    code, out, err = run(capsys, "project", "import", db, small_tsv, "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["sentences_added"], report["terms_added"], report["labels_added"]) == (23, 24, 24)
    code, out, _ = run(capsys, "project", "import", db, small_tsv)
    assert code == 0 and "0 new sentences, 0 new terms, 0 labels" in out
    code, out, _ = run(capsys, "project", "stats", db, "--json")
    stats = json.loads(out)
    assert set(stats) == {"sentences", "terms", "labeled", "per_label", "models", "active_model"}
    assert stats["terms"] == stats["labeled"] == 24 and stats["active_model"] is None
    assert sum(stats["per_label"].values()) == 24
    code, out, _ = run(capsys, "project", "stats", db)
    assert "23 sentences, 24 terms, 24 labeled" in out
    out_file = tmp_path / "out.tsv"
    code, out, _ = run(capsys, "project", "export", db, out_file)
    assert code == 0 and "wrote 24 rows" in out
    assert read_examples(out_file).examples == read_examples(small_tsv).examples
    code, out, _ = run(capsys, "project", "export", db, tmp_path / "out.xml", "--format", "semeval16", "--json")
    assert json.loads(out)["rows"] == 24


def test_user_errors_exit_2_naming_file_line_and_reason(tmp_path, capsys, small_tsv):
    db = tmp_path / "p.db"
    code, _, err = run(capsys, "project", "stats", db)
    assert code == 2 and "no such project file" in err
    run(capsys, "project", "init", db, "--no-starter")
    code, _, err = run(capsys, "project", "init", db)
    assert code == 2 and "exists already" in err
    bad = tmp_path / "bad.tsv"
    bad.write_text(small_tsv.read_text(encoding="utf-8") + "positive\t\tpasta\t0:5\tNo such word.\n", encoding="utf-8")
    code, _, err = run(capsys, "project", "import", db, bad)
    assert code == 2 and f"{bad}:25:" in err and "does not match" in err
    assert json.loads(run(capsys, "project", "stats", db, "--json")[1])["sentences"] == 0  # nothing half-written
    code, out, _ = run(capsys, "project", "import", db, bad, "--lenient", "--json")
    assert code == 0 and json.loads(out)["skipped_mismatch"] == 1
    code, _, err = run(capsys, "project", "models", db, "--activate", "7")
    assert code == 2 and "no model version 7" in err
    code, _, err = run(capsys, "project", "predict", db)
    assert code == 2 and "no active model" in err
    code, _, err = run(capsys, "project", "export", db, tmp_path / "x.tsv", "--with-predictions")
    assert code == 2 and "no active model" in err
    code, _, err = run(capsys, "project", "export", db, tmp_path / "x.weird")
    assert code == 2 and "cannot tell the format" in err


def test_init_registers_the_starter_model_as_the_app_does(tmp_path, capsys):
    from core.paths import starter_model_dir

    if not (starter_model_dir() / "model.json").is_file():
        pytest.skip("no starter model in resources/ (built by benchmarks/build_starter.py)")
    code, out, _ = run(capsys, "project", "init", tmp_path / "p.db", "--json")
    created = json.loads(out)
    assert code == 0 and created["active_model"] is not None
    code, out, _ = run(capsys, "project", "models", tmp_path / "p.db", "--json")
    (model,) = json.loads(out)["models"]
    assert model["active"] and Path(model["folder"]).parent == Path(created["models_dir"])
    assert (Path(model["folder"]) / "model.json").is_file()  # a copy in the project's own models folder


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Fine soup.", "start": 5, "end": 9, "label": "positive"}\n{"text": oops}\n')
    db = tmp_path / "p.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "core.cli", "project", "init", str(db)], check=True, env=env, cwd=ROOT,
                   capture_output=True)
    proc = subprocess.run([sys.executable, "-m", "core.cli", "project", "import", str(db), str(bad)], env=env,
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and f"{bad}:2:" in proc.stderr


@pytest.mark.slow
def test_train_predict_models_activate_delete(tmp_path, capsys, small_tsv, tiny_base_model):
    db = tmp_path / "p.db"
    run(capsys, "project", "init", db, "--no-starter")
    run(capsys, "project", "import", db, small_tsv)
    unlabeled = tmp_path / "new.jsonl"
    unlabeled.write_text('{"text": "The bread was stale.", "start": 4, "end": 9}\n', encoding="utf-8")
    run(capsys, "project", "import", db, unlabeled)
    train = ["project", "train", db, "--base-model", tiny_base_model, "--epochs", "1", "--head-epochs", "2",
             "--batch-size", "8", "--device", "cpu", "--json"]
    code, out, err = run(capsys, *train)
    assert code == 0, err
    first = json.loads(out)
    assert first["run"]["status"] == "succeeded" and first["model"]["active"] and first["model"]["engine"] == "two-phase"
    code, out, _ = run(capsys, *train[:-1], "--engine", "lora", "--dev", small_tsv, "--json")
    second = json.loads(out)["model"]
    assert second["engine"] == "lora" and second["metrics"]["dev"] == "small.tsv"
    code, out, _ = run(capsys, "project", "predict", db, "--device", "cpu", "--json")
    assert code == 0 and json.loads(out) == {"predicted": 1}
    code, out, _ = run(capsys, "project", "export", db, tmp_path / "preds.jsonl", "--with-predictions")
    rows = [json.loads(x) for x in (tmp_path / "preds.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 25 and rows[-1]["label"] is None and "probabilities" in rows[-1]
    code, out, _ = run(capsys, "project", "models", db, "--activate", first["model"]["id"], "--json")
    models = json.loads(out)["models"]
    assert [m["active"] for m in models] == [True, False]
    code, out, _ = run(capsys, "project", "models", db, "--delete", second["id"])
    assert code == 0 and not Path(second["folder"]).exists() and "*   1" in out
    stats = json.loads(run(capsys, "project", "stats", db, "--json")[1])
    assert stats["models"] == 1 and stats["active_model"] == first["model"]["id"]
