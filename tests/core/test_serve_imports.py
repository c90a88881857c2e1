"""A prediction on the ONNX path imports neither torch nor transformers (checked in fresh processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.ml.config import TrainConfig
from core.ml.train import train

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "peft", "sqlalchemy", "PySide6")


@pytest.fixture(scope="module")
def exported(tiny_base_model, small_examples, tmp_path_factory) -> Path:
    cfg = TrainConfig.for_engine("two-phase", base_model=str(tiny_base_model), epochs=(1, 2), batch_size=8, seed=2)
    return train(cfg, small_examples, None).model.save(tmp_path_factory.mktemp("m") / "model")


def _run(code: str, home: Path | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("ORT_DISABLE_TELEMETRY", None)
    if home is not None:
        env["HOME"] = str(home)
        env.pop("XDG_CACHE_HOME", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_core_serve_prediction_loads_no_torch(exported, tmp_path):
    code = f"""
import json, sys
from core.serve import load_predictor
p = load_predictor({str(exported)!r})
pred = p.predict_one("The pasta was cold but the staff were lovely", 27, 32)
print(json.dumps({{"runtime": p.runtime, "label": pred.label.value,
                  "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""
    home = tmp_path / "home"
    home.mkdir()
    out = _run(code, home)
    assert out["runtime"] == "onnx" and out["label"] in ("negative", "neutral", "positive")
    assert out["loaded"] == []
    assert not any(home.iterdir())  # no onnxruntime telemetry id under the person's home


@pytest.mark.slow
def test_cli_predict_of_one_term_loads_no_torch(exported):
    code = f"""
import contextlib, io, json, sys
from core.cli import main
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    rc = main(["predict", "--model", {str(exported)!r}, "--sentence", "The staff were lovely", "--term", "staff",
               "--json"])
print(json.dumps({{"rc": rc, "out": json.loads(buf.getvalue()), "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""
    out = _run(code)
    assert out["rc"] == 0 and out["out"]["term"] == "staff"
    assert out["loaded"] == []


def test_cli_parser_and_an_error_load_no_torch(tmp_path):
    # A bad model folder is reported (exit 2) without importing torch just to name the error type.
    code = f"""
import contextlib, io, json, sys
from core.cli import main
err = io.StringIO()
with contextlib.redirect_stderr(err):
    rc = main(["predict", "--model", {str(tmp_path / 'nope')!r}, "--sentence", "Nice staff", "--term", "staff"])
print(json.dumps({{"rc": rc, "err": err.getvalue(), "loaded": [m for m in ("torch", "transformers") if m in sys.modules]}}))
"""
    out = _run(code)
    assert out["rc"] == 2 and "no such model folder" in out["err"] and out["err"].count("\n") == 1
    assert out["loaded"] == []


@pytest.mark.slow
def test_a_preloaded_export_is_taken_by_the_next_load_once(exported):
    # core.serve.preload (the app's first launch): opened in a thread, then handed to load_predictor.
    code = f"""
import json, sys
from core.serve import load_predictor
from core.serve import preload as pre
first = pre.preload({str(exported)!r}, threads=1)
again = pre.preload({str(exported)!r}, threads=1)  # one preload per process
waiting = len(pre._pending)
p = load_predictor({str(exported)!r}, threads=1)
fresh = load_predictor({str(exported)!r}, threads=1)
a, b = p.predict_proba([("The staff were lovely", 4, 9)])[0], fresh.predict_proba([("The staff were lovely", 4, 9)])[0]
print(json.dumps({{"first": first, "again": again, "waiting": waiting, "left": len(pre._pending),
                  "distinct": p is not fresh, "diff": max(abs(x - y) for x, y in zip(a, b)),
                  "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""
    out = _run(code)
    assert (out["first"], out["again"], out["waiting"], out["left"]) == (True, False, 1, 0)
    assert out["distinct"] and out["diff"] < 1e-6 and out["loaded"] == []
