"""Training both engines on a tiny real encoder, saving, loading, and the errors of a bad folder."""

from __future__ import annotations

import json
import shutil

import pytest

from core.domain import LABELS
from core.ml.config import TrainConfig
from core.ml.model import ModelLoadError, PolarityModel
from core.ml.events import TrainingCancelled, TrainingProgress
from core.ml.train import train


@pytest.fixture(scope="module")
def trained(tiny_base_model, small_examples):
    """One tiny model per engine, trained once for the module."""
    examples = small_examples
    out = {}
    for engine in ("two-phase", "lora"):
        cfg = TrainConfig.for_engine(engine, base_model=str(tiny_base_model), epochs=(1, 3) if engine == "two-phase" else (2, 0),
                                     batch_size=8, seed=1)
        steps: list[TrainingProgress] = []
        result = train(cfg, examples, examples[:8], on_progress=steps.append)
        out[engine] = (result, steps, examples)
    return out


@pytest.mark.parametrize("engine", ["two-phase", "lora"])
def test_training_reports_progress_history_and_metrics(trained, engine):
    result, steps, _ = trained[engine]
    assert steps[-1].step == steps[-1].total and steps[-1].phase == "done"
    assert [e.step for e in steps] == sorted(e.step for e in steps)
    trained_steps = [e for e in steps if e.loss is not None and e.phase in ("body", "lora")]
    assert trained_steps and all(e.epoch >= 1 and e.epochs >= e.epoch for e in trained_steps)
    scored = [e for e in steps if e.metrics]
    assert engine == "lora" or (scored and 0.0 <= scored[-1].metrics["accuracy"] <= 1.0)
    assert result.metrics["n"] == 8 and 0.0 <= result.metrics["accuracy"] <= 1.0
    phases = {h["phase"] for h in result.history}
    assert phases == ({"body", "head"} if engine == "two-phase" else {"lora"})
    assert result.model.info["engine"] == engine


@pytest.mark.parametrize("engine", ["two-phase", "lora"])
def test_save_load_round_trip_gives_same_probabilities(trained, engine, tmp_path):
    result, _, examples = trained[engine]
    before = result.model.predict(examples)
    folder = result.model.save(tmp_path / "model")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left
    info = json.loads((folder / "model.json").read_text())
    assert info["labels"] == [p.value for p in LABELS] and info["data_fingerprint"].startswith("sha256:")
    if engine == "lora":
        assert (folder / "adapter.safetensors").is_file() and not (folder / "encoder").exists()
    loaded = PolarityModel.load(folder, device="cpu", precision="float32")
    after = loaded.predict(examples)
    for a, b in zip(before, after):
        assert a.label == b.label
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-5)
    with pytest.raises(FileExistsError):
        result.model.save(folder)


def test_prediction_shapes(trained):
    result, _, examples = trained["two-phase"]
    pred = result.model.predict_one(examples[0].sentence, examples[0].start, examples[0].end)
    assert sum(pred.probabilities) == pytest.approx(1.0, abs=1e-5)
    assert pred.label == LABELS[max(range(3), key=lambda i: pred.probabilities[i])]
    assert result.model.predict([]) == []


def test_cancel_stops_training(tiny_base_model, small_examples):
    cfg = TrainConfig.for_engine("two-phase", base_model=str(tiny_base_model), epochs=(3, 5), batch_size=2)
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(TrainingCancelled):
        train(cfg, small_examples, None, should_stop=should_stop)


def test_unlabeled_training_data_is_refused(tiny_base_model, small_examples):
    cfg = TrainConfig(base_model=str(tiny_base_model))
    with pytest.raises(ValueError, match="no label"):
        train(cfg, [small_examples[0].with_polarity(None)], None)


def test_load_errors_name_folder_and_reason(trained, tmp_path):
    with pytest.raises(ModelLoadError, match="no such model folder"):
        PolarityModel.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="no model.json"):
        PolarityModel.load(tmp_path / "empty")
    good = trained["two-phase"][0].model.save(tmp_path / "good")
    broken = tmp_path / "broken"
    shutil.copytree(good, broken)
    (broken / "model.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="corrupt model description"):
        PolarityModel.load(broken)
    shutil.rmtree(broken)
    shutil.copytree(good, broken)
    (broken / "head.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelLoadError, match="head.safetensors"):
        PolarityModel.load(broken)
    (broken / "head.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="missing head.safetensors"):
        PolarityModel.load(broken)


def test_bfloat16_inference_agrees_with_float32(trained, tmp_path):
    from core.ml.device import inference_precision, native_bf16_cpu

    result, _, examples = trained["two-phase"]
    folder = result.model.save(tmp_path / "m")
    fp32 = PolarityModel.load(folder, device="cpu", precision="float32").predict(examples)
    bf16 = PolarityModel.load(folder, device="cpu", precision="bfloat16").predict(examples)
    for a, b in zip(fp32, bf16):
        assert a.probabilities == pytest.approx(b.probabilities, abs=0.03)
    assert inference_precision("cpu", "float32") == "float32"
    assert inference_precision("cpu", "auto") == ("bfloat16" if native_bf16_cpu() else "float32")
    with pytest.raises(ValueError, match="precision"):
        inference_precision("cpu", "int4")
