"""``polarity-studio --self-test`` (unfrozen): the check the desktop build runs, run from the checkout.

The frozen build runs the same code (``packaging/smoke_test.py``); here it proves the steps work
and that a failure becomes ``ok: false`` with exit 1.
"""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def project_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)  # type: ignore[union-attr]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1", HOME=str(tmp_path / "home"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.pop("POLARITY_STUDIO_HOME", None)
    return env


@pytest.mark.slow
def test_self_test_passes_and_prints_one_json_line(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    report_file = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "app.main", "--self-test", str(report_file)], cwd=ROOT,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    report = json.loads(lines[0])
    assert report == json.loads(report_file.read_text(encoding="utf-8"))
    assert report["ok"] is True and report["frozen"] is False
    assert report["version"] == project_version()
    assert report["encoder"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert report["prediction"]["label"] in ("negative", "neutral", "positive")
    assert abs(sum(report["prediction"]["probabilities"].values()) - 1.0) < 1e-3
    assert report["trained"]["terms"] == 16
    for key in ("window_seconds", "model_load_seconds", "train_seconds", "total_seconds"):
        assert report[key] > 0, key
    assert report["project"]["labeled"] > 400 and report["project"]["predicted_term"]["label"]
    # never the person's data: nothing was written under the (fresh) home folder
    assert not any((tmp_path / "home").iterdir())


def test_a_failing_step_reports_ok_false_and_exit_1(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from app import self_test

    def broken(tmp: Path, report: dict) -> None:
        raise RuntimeError("no Qt platform plugin")

    monkeypatch.setattr(self_test, "show_window", broken)
    assert self_test.run_self_test() == 1
    report = json.loads(capsys.readouterr().out.strip())
    assert report["ok"] is False and report["step"] == "window"
    assert report["error"] == "RuntimeError: no Qt platform plugin"


def test_version_flag() -> None:
    proc = subprocess.run([sys.executable, "-m", "app.main", "--version"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    version = project_version()
    assert proc.returncode == 0 and proc.stdout.strip() == f"polarity-studio {version}"
