"""The starter model's export: built on first use into the user cache, atomically, keyed and checked
by the hash of the shipped files; the shipped folder itself is never written to."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.ml.config import TrainConfig
from core.ml.train import train
from core.serve import load_predictor
from core.serve.info import ONNX_FILES
from core.serve.starter import SERVING_JSON, cached_export

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shipped(tiny_base_model, small_examples, tmp_path_factory) -> Path:
    """A LoRA model laid out as the shipped starter is: adapter and head, no export."""
    cfg = TrainConfig.for_engine("lora", base_model=str(tiny_base_model), epochs=(1, 0), batch_size=8, seed=4)
    folder = train(cfg, small_examples, None).model.save(tmp_path_factory.mktemp("res") / "starter_model")
    info = json.loads((folder / "model.json").read_text())
    del info["serving"]
    (folder / "model.json").write_text(json.dumps(info), encoding="utf-8")
    for name in ONNX_FILES.values():
        (folder / name).unlink(missing_ok=True)
    return folder


@pytest.fixture
def starter(shipped, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "resources" / "starter_model"
    shutil.copytree(shipped, folder)
    monkeypatch.setattr("core.paths.starter_model_dir", lambda: folder)
    monkeypatch.setenv("POLARITY_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_first_use_builds_the_export_into_the_cache_once(starter, tmp_path, small_examples):
    before = _tree(starter)
    assert cached_export(starter)[1] is None
    first = load_predictor(starter, precision="float32")
    assert first.runtime == "onnx"
    where, serving = cached_export(starter)
    assert serving is not None and where.parent == tmp_path / "cache" / "exports"
    assert (where / "model.onnx").is_file() and (where / SERVING_JSON).is_file()
    assert not [p for p in where.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
    assert _tree(starter) == before  # the shipped folder is never written to
    stamp = (where / "model.onnx").stat().st_mtime_ns
    again = load_predictor(starter, precision="float32")
    assert (where / "model.onnx").stat().st_mtime_ns == stamp  # built once, not per load
    items = [(e.sentence, e.start, e.end) for e in small_examples]
    torch_probs = load_predictor(starter, runtime="torch", precision="float32").predict_proba(items)
    for a, b in zip(again.predict_proba(items), torch_probs):
        assert a == pytest.approx(b, abs=1e-4)


def test_a_changed_adapter_gets_a_new_export_never_the_stale_one(starter):
    load_predictor(starter)
    old_where, _ = cached_export(starter)
    adapter = starter / "adapter.safetensors"
    data = bytearray(adapter.read_bytes())
    data[-1] ^= 0x01  # one bit of one weight
    adapter.write_bytes(bytes(data))
    where, serving = cached_export(starter)
    assert where != old_where and serving is None
    load_predictor(starter)
    assert cached_export(starter)[1] is not None


def test_a_cache_entry_for_other_files_is_refused(starter):
    load_predictor(starter)
    where, serving = cached_export(starter)
    serving["source_hash"] = "sha256:" + "0" * 64
    (where / SERVING_JSON).write_text(json.dumps(serving), encoding="utf-8")
    assert cached_export(starter)[1] is None


def test_models_export_of_the_starter_fills_the_cache(starter, capsys):
    from core.cli import main

    assert main(["models", "export", str(starter), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runtime"] == "onnx"
    where, serving = cached_export(starter)
    assert serving is not None and "int8" not in serving["files"]  # no int8 copy unless asked
    assert not (starter / "model.onnx").exists()
    assert main(["models", "export", str(starter), "--int8", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["files"]["int8"] == "model.int8.onnx" and data["int8_checked_on"] > 0
    assert cached_export(starter) == (where, {**serving, **{k: data[k] for k in data if k != "folder"}})
    assert (where / "model.int8.onnx").is_file() and not [p for p in where.iterdir() if p.name.startswith(".")]
    assert load_predictor(starter, precision="int8").precision == "int8"


def test_a_projects_copy_of_the_starter_is_served_by_the_same_cached_export(starter, tmp_path):
    # core.starter copies the small starter into each new project: the demo's v1 is such a copy.
    copy = tmp_path / "project-models" / "starter"
    shutil.copytree(starter, copy)
    assert load_predictor(copy).runtime == "onnx"
    where, serving = cached_export(starter)
    assert serving is not None and cached_export(copy)[0] == where
    assert [p.name for p in where.parent.iterdir()] == [where.name]  # one export for both
    assert not (copy / "model.onnx").exists()
    adapter = copy / "adapter.safetensors"
    adapter.write_bytes(adapter.read_bytes()[:-1] + bytes([adapter.read_bytes()[-1] ^ 1]))
    assert cached_export(copy)[1] is None  # a changed copy is not the starter any more
    assert load_predictor(copy).runtime == "torch"
