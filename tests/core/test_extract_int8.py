"""The term extractor's int8 copy: always written beside the float32 export, the default only when
a check on annotated sentences showed it keeps its exact-span F1 (core/ml/terms/int8.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.ml.terms.data import AnnotatedSentence
from core.ml.terms.int8 import INT8_MIN_CHECK_TERMS, int8_serves
from core.ml.terms.pipeline import load_extractor
from core.ml.terms.spans import normalize_spans, score_spans
from core.serve.info import ModelLoadError

# Hand-written sentences (not from any dataset).
TEXTS = [("The pasta was delicious and the waiter was friendly.", ["pasta", "waiter"]),
         ("Battery life is excellent on this laptop.", ["Battery life"]),
         ("We went there on a Sunday.", []),
         ("Great prices and a lovely terrace.", ["prices", "terrace"])]


def _data(times: int = 4) -> list[AnnotatedSentence]:
    return [AnnotatedSentence(t, normalize_spans(t, [(t.index(x), t.index(x) + len(x)) for x in terms]))
            for t, terms in TEXTS * times]


def _check(f32: float, i8: float, n_terms: int = INT8_MIN_CHECK_TERMS) -> dict:
    return {"float32_f1": f32, "int8_f1": i8, "n_sentences": 50, "n_terms": n_terms}


def test_int8_serves_only_when_a_check_on_enough_terms_shows_no_loss():
    assert int8_serves(_check(0.80, 0.80)) and int8_serves(_check(0.80, 0.81))
    assert int8_serves(_check(0.80, 0.796))  # within the 0.005 tolerance
    assert not int8_serves(_check(0.80, 0.79))
    assert not int8_serves(_check(0.80, 0.82, n_terms=INT8_MIN_CHECK_TERMS - 1))  # too few terms to tell
    assert not int8_serves(None) and not int8_serves({})


@pytest.fixture(scope="module")
def trained(tiny_base_model):
    from core.ml.terms.train import ExtractorConfig, train_extractor

    cfg = ExtractorConfig(base_model=str(tiny_base_model), epochs=3, lr=5e-3, batch_size=8, lora_rank=4,
                          lora_alpha=8, max_length=32, device="cpu")
    return train_extractor(cfg, _data(), []).model



@pytest.mark.slow
@pytest.mark.parametrize("tolerance, expected", [(1.0, "int8"), (-1.0, "float32")])
def test_a_checked_save_records_both_scores_and_picks_the_default(trained, tmp_path, monkeypatch, tolerance, expected):
    monkeypatch.setattr("core.ml.terms.int8.INT8_MIN_CHECK_TERMS", 1)
    monkeypatch.setattr("core.ml.terms.int8.INT8_MAX_F1_LOSS", tolerance)  # force each outcome
    monkeypatch.setattr("core.ml.terms.tagging.OUTSIDE_BIAS", 0.0)  # the tiny tagger finds spans
    check = _data(1)
    folder = trained.save(tmp_path / "model", check=check)
    serving = json.loads((folder / "model.json").read_text())["serving"]
    assert serving["files"] == {"float32": "model.onnx", "int8": "model.int8.onnx"}
    assert serving["precision"] == expected
    recorded = serving["int8_check"]
    assert (recorded["n_sentences"], recorded["n_terms"]) == (4, 5)
    gold = [s.spans for s in check]
    for precision in ("float32", "int8"):  # the recorded scores are what each copy extracts
        extractor = load_extractor(folder, precision=precision)
        assert extractor.precision == precision
        assert recorded[f"{precision}_f1"] == round(score_spans(gold, extractor.extract_spans([s.text for s in check])).f1, 4)
    assert load_extractor(folder).precision == expected  # auto: the recorded choice


@pytest.mark.slow
def test_int8_needs_onnx_and_its_file(trained, tmp_path):
    folder = trained.save(tmp_path / "model")
    with pytest.raises(ModelLoadError, match="onnxruntime"):
        load_extractor(folder, runtime="torch", precision="int8")
    info = json.loads((folder / "model.json").read_text())
    del info["serving"]["files"]["int8"]
    (folder / "model.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="no int8 ONNX export.*models export"):
        load_extractor(folder, precision="int8")
    assert load_extractor(folder).precision == "float32"


@pytest.mark.slow
def test_terms_evaluate_and_extract_report_the_precision_they_ran(trained, tmp_path, capsys):
    from core.cli import main

    folder = trained.save(tmp_path / "model")
    data = tmp_path / "gold.jsonl"
    data.write_text("".join(json.dumps({"text": s.text, "terms": [{"start": a, "end": b} for a, b in s.spans]}) + "\n"
                            for s in _data(1)), encoding="utf-8")
    assert main(["terms", "evaluate", "--model", str(folder), "--data", str(data), "--precision", "int8", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["extractor_precision"] == "int8" and isinstance(report["precision"], float)  # the score's own
    raw = tmp_path / "raw.txt"
    raw.write_text("The pasta was delicious.\n", encoding="utf-8")
    assert main(["terms", "extract", "--model", str(folder), "--no-polarity", "--input", str(raw),
                 "--output", str(tmp_path / "out.jsonl"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["extractor_precision"] == "float32"  # unchecked: float32


@pytest.mark.slow
def test_the_starters_cache_export_follows_the_check_it_ships_with(trained, tmp_path, monkeypatch):
    from core.ml.terms.onnx_extractor import STARTER_PREFIX
    from core.serve.starter import cached_export

    shipped = trained.save(tmp_path / "resources" / "starter_extractor", export=False)
    info = json.loads((shipped / "model.json").read_text())
    info["int8_check"] = _check(0.80, 0.81, n_terms=679)  # what build_starter_extractor.py records
    (shipped / "model.json").write_text(json.dumps(info), encoding="utf-8")
    monkeypatch.setattr("core.ml.terms.tagging.default_extractor_dir", lambda: shipped)
    monkeypatch.setenv("POLARITY_CACHE_DIR", str(tmp_path / "cache"))
    extractor = load_extractor(shipped, warn=lambda _m: None)
    assert (extractor.runtime, extractor.precision) == ("onnx", "int8")
    where, serving = cached_export(shipped, STARTER_PREFIX)
    assert (where / "model.int8.onnx").is_file() and serving["int8_check"] == info["int8_check"]
    assert load_extractor(shipped, precision="float32").precision == "float32"
