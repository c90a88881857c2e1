"""The ONNX serving path against the torch path on tiny trained models: the export round trip,
the runtime choice, old folders, and a broken or missing export (fallback or a clear error)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.ml.config import TrainConfig
from core.ml.model import ModelLoadError, PolarityModel, add_export
from core.ml.onnx_export import INT8_MIN_AGREEMENT, demo_items
from core.ml.train import train
from core.serve import load_predictor
from core.serve.info import ONNX_FILES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def saved(tiny_base_model, small_examples, tmp_path_factory) -> dict[str, Path]:
    """One tiny model per engine, trained once and saved (save writes the export)."""
    out = {}
    for engine in ("two-phase", "lora"):
        cfg = TrainConfig.for_engine(engine, base_model=str(tiny_base_model),
                                     epochs=(1, 3) if engine == "two-phase" else (2, 0), batch_size=8, seed=1)
        result = train(cfg, small_examples, None)
        out[engine] = result.model.save(tmp_path_factory.mktemp(engine) / "model")
    return out


def _items(small_examples) -> list[tuple[str, int, int]]:
    # The fixture's terms plus demo terms, some long enough for the window around the term.
    return [(e.sentence, e.start, e.end) for e in small_examples] + demo_items()[:120]


@pytest.mark.parametrize("engine", ["two-phase", "lora"])
def test_export_round_trip_matches_torch(saved, small_examples, engine):
    folder = saved[engine]
    info = json.loads((folder / "model.json").read_text())
    serving = info["serving"]
    assert serving["runtime"] == "onnx" and (folder / ONNX_FILES["float32"]).is_file()
    onnx = load_predictor(folder, runtime="onnx", precision="float32")
    torch_model = load_predictor(folder, runtime="torch", precision="float32")
    assert (onnx.runtime, torch_model.runtime) == ("onnx", "torch")
    items = _items(small_examples)
    a = np.array(onnx.predict_proba(items))
    b = np.array(torch_model.predict_proba(items))
    assert (a.argmax(1) == b.argmax(1)).all()
    assert np.abs(a - b).max() < 1e-4
    assert [p.label for p in onnx.predict(small_examples)] == [p.label for p in torch_model.predict(small_examples)]
    one = onnx.predict_one(*items[3])
    assert one.label == onnx.predict_many([items[3]])[0].label
    assert one.probabilities == pytest.approx(tuple(a[3]), abs=1e-6)


def test_batches_run_side_by_side_give_the_one_at_a_time_results(saved, small_examples, monkeypatch):
    from core.serve import runs

    monkeypatch.setattr(runs, "cores", lambda: 3)
    items = _items(small_examples) * 3  # many batches of 8, so three run at once
    side_by_side = load_predictor(saved["lora"], runtime="onnx", precision="float32")
    one_at_a_time = load_predictor(saved["lora"], runtime="onnx", precision="float32", threads=1)
    assert (side_by_side.runs, one_at_a_time.runs) == (3, 1)
    progress: list[int] = []
    a = np.array(side_by_side.predict_proba(items, 8, lambda done, total, _what: progress.append(done)))
    assert np.array_equal(a, np.array(one_at_a_time.predict_proba(items, 8)))
    assert progress == sorted(progress) and progress[-1] == len(items)


def test_int8_is_written_only_on_request_and_default_only_where_it_agrees(saved, small_examples, tmp_path):
    for engine, saved_folder in saved.items():
        serving = json.loads((saved_folder / "model.json").read_text())["serving"]
        assert serving["files"] == {"float32": ONNX_FILES["float32"]} and serving["precision"] == "float32"
        assert not (saved_folder / ONNX_FILES["int8"]).exists()  # a save writes no int8 copy
        with pytest.raises(ModelLoadError, match="no int8 ONNX export"):
            load_predictor(saved_folder, runtime="onnx", precision="int8")
        folder = _copy(saved_folder, tmp_path / engine)
        serving = add_export(folder, int8=True)  # the float32 export is there: only quantizes
        assert json.loads((folder / "model.json").read_text())["serving"] == serving
        assert serving["int8_checked_on"] == len(demo_items()) > 0
        expected = "int8" if serving["int8_agreement"] >= INT8_MIN_AGREEMENT else "float32"
        assert serving["precision"] == expected
        assert load_predictor(folder).precision == expected
        int8 = load_predictor(folder, precision="int8")
        assert int8.precision == "int8" and len(int8.predict(small_examples)) == len(small_examples)
        assert add_export(folder)["files"] == {"float32": ONNX_FILES["float32"]}  # re-exported without int8:
        assert not (folder / ONNX_FILES["int8"]).exists()  # no stale int8 copy of the old network is left


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, target)
    return target


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_broken_export_falls_back_to_torch_with_one_warning(saved, small_examples, tmp_path, damage):
    folder = _copy(saved["two-phase"], tmp_path)
    serving = json.loads((folder / "model.json").read_text())["serving"]
    for name in serving["files"].values():
        path = folder / name
        if damage == "missing":
            path.unlink()
        else:
            path.write_bytes(path.read_bytes()[:1000])
    warnings: list[str] = []
    model = load_predictor(folder, warn=warnings.append)
    assert model.runtime == "torch" and isinstance(model, PolarityModel)
    assert len(warnings) == 1 and "\n" not in warnings[0] and str(folder) in warnings[0]
    assert "torch" in warnings[0]
    assert len(model.predict(small_examples)) == len(small_examples)
    with pytest.raises(ModelLoadError, match="ONNX export|missing model"):
        load_predictor(folder, runtime="onnx", warn=warnings.append)


def test_older_folder_is_served_by_torch_until_exported(saved, small_examples, tmp_path):
    folder = _copy(saved["lora"], tmp_path)
    info = json.loads((folder / "model.json").read_text())
    del info["serving"]
    (folder / "model.json").write_text(json.dumps(info), encoding="utf-8")
    for name in ONNX_FILES.values():
        (folder / name).unlink(missing_ok=True)
    warnings: list[str] = []
    assert load_predictor(folder, warn=warnings.append).runtime == "torch" and not warnings
    with pytest.raises(ModelLoadError, match="polarity models export"):
        load_predictor(folder, runtime="onnx")
    serving = add_export(folder)
    assert serving["runtime"] == "onnx"
    assert json.loads((folder / "model.json").read_text())["serving"] == serving
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary folder left
    onnx = load_predictor(folder, precision="float32")
    assert onnx.runtime == "onnx"
    torch_probs = np.array(load_predictor(folder, runtime="torch", precision="float32").predict_proba(_items(small_examples)))
    assert np.abs(np.array(onnx.predict_proba(_items(small_examples))) - torch_probs).max() < 1e-4


def test_precision_and_runtime_mismatches_are_clear_errors(saved):
    folder = saved["two-phase"]
    with pytest.raises(ModelLoadError, match="int8 is an ONNX precision"):
        load_predictor(folder, runtime="torch", precision="int8")
    with pytest.raises(ModelLoadError, match="bfloat16 is a torch precision"):
        load_predictor(folder, runtime="onnx", precision="bfloat16")
    assert load_predictor(folder, precision="bfloat16").runtime == "torch"
    with pytest.raises(ValueError):
        load_predictor(folder, runtime="tensorflow")


def test_temperature_in_model_json_scales_the_onnx_probabilities(saved, small_examples, tmp_path):
    folder = _copy(saved["two-phase"], tmp_path)
    plain = np.array(load_predictor(folder, precision="float32").predict_proba(_items(small_examples)))
    info = json.loads((folder / "model.json").read_text())
    info["temperature"] = 2.0
    (folder / "model.json").write_text(json.dumps(info), encoding="utf-8")
    model = load_predictor(folder, precision="float32")
    logits, probs = model.predict_arrays(_items(small_examples))
    expected = np.exp(logits / 2.0) / np.exp(logits / 2.0).sum(1, keepdims=True)
    assert np.abs(probs - expected).max() < 1e-6
    assert (probs.argmax(1) == plain.argmax(1)).all() and not np.allclose(probs, plain)
