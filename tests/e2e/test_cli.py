"""The `polarity` CLI end to end: train on a small file, predict, evaluate, batch-predict, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def cli_model(tiny_base_model, small_tsv_session, tmp_path_factory) -> Path:
    """A model trained through the CLI on the small fixture file (two-phase, tiny encoder)."""
    data = small_tsv_session
    out = tmp_path_factory.mktemp("cli") / "model"
    code = main(["train", "--train", str(data), "--dev", str(data), "--out", str(out), "--base-model",
                 str(tiny_base_model), "--epochs", "1", "--head-epochs", "2", "--batch-size", "8", "--json"])
    assert code == 0
    return out


def test_train_prints_the_contract(tiny_base_model, small_tsv, tmp_path, capsys):
    out = tmp_path / "m"
    code, stdout, _ = run_cli(capsys, "train", "--train", small_tsv, "--dev", small_tsv, "--out", out,
                              "--engine", "lora", "--base-model", tiny_base_model, "--epochs", "1",
                              "--lora-rank", "4", "--lora-alpha", "8", "--seed", "3", "--json")
    assert code == 0
    data = json.loads(stdout)
    for key in ("out", "engine", "train_seconds", "dev_accuracy", "dev_macro_f1"):
        assert key in data
    assert data["engine"] == "lora" and (out / "model.json").is_file()
    info = json.loads((out / "model.json").read_text())
    assert info["config"]["lora_rank"] == 4 and info["config"]["seed"] == 3


def test_predict_single_term_by_term_and_span(cli_model, capsys):
    sentence = "The pasta was cold but the staff were lovely"
    code, out, _ = run_cli(capsys, "predict", "--model", cli_model, "--sentence", sentence, "--term", "staff", "--json")
    assert code == 0
    by_term = json.loads(out)
    assert (by_term["term"], by_term["start"], by_term["end"]) == ("staff", 27, 32)
    assert set(by_term["probabilities"]) == {"negative", "neutral", "positive"}
    assert by_term["label"] == max(by_term["probabilities"], key=by_term["probabilities"].get)
    code, out, _ = run_cli(capsys, "predict", "--model", cli_model, "--sentence", sentence, "--span", "27:32", "--json")
    assert json.loads(out)["probabilities"] == by_term["probabilities"]


def test_evaluate_reports_metrics(cli_model, small_tsv, capsys):
    code, out, _ = run_cli(capsys, "evaluate", "--model", cli_model, "--data", small_tsv, "--json")
    assert code == 0
    m = json.loads(out)
    assert m["n"] == 24 and len(m["confusion"]) == 3 and sum(map(sum, m["confusion"])) == 24
    assert set(m["per_class"]) == {"negative", "neutral", "positive"}


def test_batch_predict_writes_jsonl(cli_model, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"text": t, "start": 4, "end": 9}) for t in
                             ["The pasta was great", "The pizza was awful"]) + "\n")
    dst = tmp_path / "out.jsonl"
    code, _, _ = run_cli(capsys, "predict", "--model", cli_model, "--input", src, "--output", dst)
    assert code == 0
    rows = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [r["term"] for r in rows] == ["pasta", "pizza"]
    assert all(abs(sum(r["probabilities"].values()) - 1) < 1e-4 for r in rows)


@pytest.mark.parametrize("content, reason", [
    ("positive\tFOOD\tpasta\t4:9\tThe pasta was great\r\nhappy\tFOOD\tsoup\t4:8\tThe soup was bad\r\n", "unknown polarity"),
    ("positive\tFOOD\tpasta\t4:9\n", "column"),
    ("positive\tFOOD\tpizza\t4:9\tThe pasta was great\n", "does not match"),
])
def test_bad_training_file_exits_2_naming_file_and_line(tmp_path, capsys, content, reason):
    bad = tmp_path / "bad.tsv"
    bad.write_text(content)
    code, _, err = run_cli(capsys, "train", "--train", bad, "--out", tmp_path / "never")
    assert code == 2
    assert str(bad) in err and reason in err and "Traceback" not in err
    assert not (tmp_path / "never").exists()


def test_existing_output_folder_and_missing_model_are_user_errors(cli_model, small_tsv, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "--train", small_tsv, "--out", cli_model)
    assert code == 2 and "already exists" in err
    code, _, err = run_cli(capsys, "predict", "--model", tmp_path / "nope", "--sentence", "Nice pasta", "--term", "pasta")
    assert code == 2 and "no such model folder" in err
    code, _, err = run_cli(capsys, "predict", "--model", cli_model, "--sentence", "Nice pasta", "--term", "soup")
    assert code == 2 and "does not occur" in err


def test_console_script_exit_code_without_traceback(tmp_path):
    """The installed entry point, in a real process: exit 2 and one clean line."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "start": 0, "end": 2, "label": "positive"}\n{not json}\n')
    proc = subprocess.run([sys.executable, "-m", "core.cli", "evaluate", "--data", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"{bad}:2" in proc.stderr and "Traceback" not in proc.stderr


def test_version_comes_from_the_project(capsys):
    import re

    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'^version\s*=\s*"([^"]+)"', pyproject, re.M).group(1)
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"polarity {version}"
