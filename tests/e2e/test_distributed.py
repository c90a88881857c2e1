"""`polarity train` under torchrun: 2 CPU processes with gloo, data-parallel, rank 0 writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main

TRAIN_ARGS = ["--epochs", "3", "--head-epochs", "20", "--lr", "1e-3", "--head-lr", "1e-2",
              "--batch-size", "4", "--seed", "1", "--device", "cpu", "--json"]


def _torchrun() -> str:
    path = Path(sys.executable).with_name("torchrun")
    if not path.exists():
        found = shutil.which("torchrun")
        if not found:
            pytest.skip("torchrun is not installed beside this Python")
        return found
    return str(path)


def test_two_process_gloo_run_matches_single_process(tiny_base_model, small_tsv, tmp_path, capsys):
    common = ["--train", str(small_tsv), "--dev", str(small_tsv), "--base-model", str(tiny_base_model), *TRAIN_ARGS]
    assert main(["train", *common, "--out", str(tmp_path / "single")]) == 0
    single = json.loads(capsys.readouterr().out)

    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([_torchrun(), "--standalone", "--nproc_per_node=2", "-m", "core.cli", "train", *common,
                           "--out", str(tmp_path / "ddp")], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1  # only rank 0 reports
    ddp = json.loads(lines[0])
    assert ddp["world_size"] == 2 and single["world_size"] == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["ddp", "single"]  # rank 1 wrote nothing

    # The DDP model loads and scores like the single-process one (same data, same recipe).
    assert main(["evaluate", "--model", str(tmp_path / "ddp"), "--data", str(small_tsv), "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["accuracy"] == pytest.approx(ddp["dev_accuracy"], abs=1e-6)
    assert abs(scored["accuracy"] - single["dev_accuracy"]) <= 0.1


def test_project_train_under_torchrun_registers_one_model(tiny_base_model, small_tsv, tmp_path, capsys):
    db = tmp_path / "p.db"
    assert main(["project", "init", str(db), "--no-starter"]) == 0
    assert main(["project", "import", str(db), str(small_tsv)]) == 0
    capsys.readouterr()
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([_torchrun(), "--standalone", "--nproc_per_node=2", "-m", "core.cli", "project", "train",
                           str(db), "--base-model", str(tiny_base_model), "--dev", str(small_tsv), *TRAIN_ARGS],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len([line for line in proc.stdout.splitlines() if line.startswith("{")]) == 1
    from core.storage import Project

    with Project.open(db) as project:
        assert len(project.models()) == 1 and project.active_model() is not None
        assert [r.status for r in project.runs()] == ["succeeded"]
        assert project.active_model().config["seed"] == 1
