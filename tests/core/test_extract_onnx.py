"""The term extractor's ONNX path: the export written on save, spans and probabilities equal to
torch's, a fresh-process `terms extract` without torch, fallbacks, and the starter extractor's
export built into the user cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.ml.terms.data import AnnotatedSentence
from core.ml.terms.pipeline import load_extractor
from core.ml.terms.spans import normalize_spans
from core.serve.info import ModelLoadError

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
# Hand-written sentences (not from any dataset).
TEXTS = [("The pasta was delicious and the waiter was friendly.", ["pasta", "waiter"]),
         ("The soup was cold and far too salty.", ["soup"]),
         ("Battery life is excellent on this laptop.", ["Battery life"]),
         ("The screen scratches far too easily.", ["screen"]),
         ("We went there on a Sunday.", []),
         ("Great prices and a lovely terrace.", ["prices", "terrace"])]
# Longer than max_length (32 tokens below): its last words are cut off, and read O on both paths.
LONG = " ".join(["The pasta was cold but the staff were lovely and the terrace was sunny."] * 6)


def _data() -> list[AnnotatedSentence]:
    return [AnnotatedSentence(t, normalize_spans(t, [(t.index(x), t.index(x) + len(x)) for x in terms]))
            for t, terms in TEXTS * 4]


def _train(base: Path, out: Path, export: bool = True) -> Path:
    from core.ml.terms.train import ExtractorConfig, train_extractor

    cfg = ExtractorConfig(base_model=str(base), epochs=4, lr=5e-3, batch_size=8, lora_rank=4, lora_alpha=8,
                          max_length=32, device="cpu")
    return train_extractor(cfg, _data(), []).model.save(out, export=export)


@pytest.fixture(scope="module")
def extractor(tiny_base_model, tmp_path_factory) -> Path:
    return _train(tiny_base_model, tmp_path_factory.mktemp("ext") / "model")


def _texts() -> list[str]:
    return [t for t, _ in TEXTS] + [LONG, "", "I would come back."]


def test_save_writes_the_export_and_both_runtimes_agree(extractor, monkeypatch):
    # The tiny random-weight tagger is unsure of every word: without the decoder's lean towards O
    # it finds spans, so the two runtimes' spans are compared on something.
    monkeypatch.setattr("core.ml.terms.tagging.OUTSIDE_BIAS", 0.0)
    serving = json.loads((extractor / "model.json").read_text())["serving"]
    # No annotated sentences to check the int8 copy on: float32 serves by default (test_extract_int8.py).
    assert serving == {"runtime": "onnx", "precision": "float32",
                       "files": {"float32": "model.onnx", "int8": "model.int8.onnx"}}
    onnx, torch_ext = load_extractor(extractor), load_extractor(extractor, runtime="torch")
    assert (onnx.runtime, torch_ext.runtime) == ("onnx", "torch")
    texts = _texts()
    a, b = onnx.tag_probabilities(texts), torch_ext.tag_probabilities(texts)
    assert [len(x) for x in a] == [len(x) for x in b] and a[len(TEXTS) + 1] == []
    assert max(np.abs(np.array(x) - np.array(y)).max() for x, y in zip(a, b) if x) < 1e-4
    assert a[len(TEXTS)][-1] == [1.0, 0.0, 0.0]  # a word past max_length
    spans = onnx.extract_spans(texts)
    assert spans == torch_ext.extract_spans(texts) and any(spans)
    assert [[(t.text, t.score) for t in x] for x in onnx.extract(texts, 2)] == \
        [[(t.text, pytest.approx(t.score, abs=1e-3)) for t in x] for x in torch_ext.extract(texts)]


def test_batches_run_side_by_side_give_the_one_at_a_time_results(extractor, monkeypatch):
    from core.ml.terms.onnx_extractor import load_onnx_extractor
    from core.ml.terms.tagging import read_extractor_info
    from core.serve import runs

    monkeypatch.setattr(runs, "cores", lambda: 3)
    info = read_extractor_info(extractor)
    side_by_side, one_at_a_time = load_onnx_extractor(extractor, info), load_onnx_extractor(extractor, info, threads=1)
    assert (side_by_side.runs, one_at_a_time.runs) == (3, 1)
    texts = _texts() * 20  # ~30 batches of at most 256 tokens
    assert side_by_side.tag_probabilities(texts, 4) == one_at_a_time.tag_probabilities(texts, 4)


def test_terms_extract_in_a_fresh_process_loads_no_torch(extractor, tmp_path):
    raw = tmp_path / "reviews.txt"
    raw.write_text("The pasta was delicious. The soup was cold.\nWe went there on a Sunday.\n", encoding="utf-8")
    out = tmp_path / "terms.jsonl"
    code = f"""
import contextlib, io, json, sys
from core.cli import main
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    rc = main(["terms", "extract", "--model", {str(extractor)!r}, "--no-polarity", "--input", {str(raw)!r},
               "--output", {str(out)!r}, "--json"])
print(json.dumps({{"rc": rc, "loaded": [m for m in ("torch", "transformers", "peft") if m in sys.modules]}}))
"""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"rc": 0, "loaded": []}
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    expected = load_extractor(extractor, runtime="torch").extract_spans([x["text"] for x in lines])
    assert [[(t["start"], t["end"]) for t in x["terms"]] for x in lines] == expected


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_a_broken_export_falls_back_to_torch_with_one_warning(extractor, tmp_path, damage):
    folder = tmp_path / "copy"
    shutil.copytree(extractor, folder)
    onnx_file = folder / "model.onnx"
    if damage == "missing":
        onnx_file.unlink()
    else:
        onnx_file.write_bytes(onnx_file.read_bytes()[:1000])
    heard: list[str] = []
    model = load_extractor(folder, warn=heard.append)
    assert model.runtime == "torch" and len(heard) == 1 and "\n" not in heard[0] and "torch instead" in heard[0]
    assert model.extract_spans(_texts()) == load_extractor(extractor).extract_spans(_texts())
    with pytest.raises(ModelLoadError, match="model.onnx"):
        load_extractor(folder, runtime="onnx")


def test_an_older_folder_without_export_runs_with_torch_until_exported(extractor, tmp_path, capsys):
    folder = tmp_path / "old"
    shutil.copytree(extractor, folder)
    info = json.loads((folder / "model.json").read_text())
    del info["serving"]
    (folder / "model.json").write_text(json.dumps(info), encoding="utf-8")
    (folder / "model.onnx").unlink()
    heard: list[str] = []
    assert load_extractor(folder, warn=heard.append).runtime == "torch" and heard == []
    with pytest.raises(ModelLoadError):
        load_extractor(folder, runtime="onnx")
    from core.cli import main

    assert main(["models", "export", str(folder), "--json"]) == 0  # adds the export to it
    assert json.loads(capsys.readouterr().out)["runtime"] == "onnx"
    files = json.loads((folder / "model.json").read_text())["serving"]["files"]
    assert files == {"float32": "model.onnx", "int8": "model.int8.onnx"}
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary folder left
    assert load_extractor(folder, runtime="onnx").extract_spans(_texts()) == load_extractor(extractor).extract_spans(_texts())
    assert main(["models", "export", str(folder), "--int8"]) == 0  # an extractor's export has its int8 copy anyway


def test_the_starter_extractors_export_is_built_into_the_cache_once(tiny_base_model, tmp_path, monkeypatch):
    from core.ml.terms.onnx_extractor import STARTER_PREFIX
    from core.serve.starter import SERVING_JSON, cached_export

    shipped = _train(tiny_base_model, tmp_path / "resources" / "starter_extractor", export=False)
    assert not (shipped / "model.onnx").exists() and "serving" not in json.loads((shipped / "model.json").read_text())
    monkeypatch.setattr("core.ml.terms.tagging.default_extractor_dir", lambda: shipped)
    monkeypatch.setenv("POLARITY_CACHE_DIR", str(tmp_path / "cache"))
    before = {p.name: p.stat().st_mtime_ns for p in shipped.rglob("*")}
    heard: list[str] = []
    first = load_extractor(shipped, warn=heard.append)
    assert first.runtime == "onnx" and len(heard) == 1 and "once" in heard[0]
    where, serving = cached_export(shipped, STARTER_PREFIX)
    assert serving is not None and where.parent == tmp_path / "cache" / "exports"
    assert where.name.startswith("starter-extractor-") and (where / SERVING_JSON).is_file()
    assert {p.name: p.stat().st_mtime_ns for p in shipped.rglob("*")} == before  # the shipped folder is untouched
    stamp = (where / "model.onnx").stat().st_mtime_ns
    assert load_extractor(shipped, warn=heard.append).runtime == "onnx" and len(heard) == 1  # not built again
    from core.cli import main

    assert main(["models", "export", str(shipped)]) == 0  # make starter-export: finds it built
    assert (where / "model.onnx").stat().st_mtime_ns == stamp
    assert first.extract_spans(_texts()) == load_extractor(shipped, runtime="torch").extract_spans(_texts())
    adapter = shipped / "adapter.safetensors"
    adapter.write_bytes(adapter.read_bytes()[:-1] + bytes([adapter.read_bytes()[-1] ^ 1]))
    assert cached_export(shipped, STARTER_PREFIX)[1] is None  # a changed adapter never gets the stale export
