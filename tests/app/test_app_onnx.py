"""The app serves predictions with the ONNX export: in a fresh process, launching the window with a
project and showing a term's prediction imports neither torch nor transformers; a folder without
an export still loads (torch, as before), and a broken export falls back to torch and says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.services.model_loader import load_predictor

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "peft")

pytestmark = pytest.mark.slow

CHILD = """
import json, sys
from app.context import AppContext
from app.main import build, make_application, wait_until

app = make_application()
ctx = AppContext.create({data!r}, {ini!r}, False)
window, controller = build(ctx)
window.show()
assert controller.open_path({project!r})
predictor = controller.predictor
wait_until(lambda: predictor.state in ("ready", "failed"), 60)
controller.labeling.select_row(0)
shown = wait_until(lambda: window.term_panel.bars.prediction() is not None, 30)
pred = window.term_panel.bars.prediction()
out = {{"state": predictor.state, "message": predictor.message, "shown": shown,
        "label": pred.label.value if pred is not None else None,
        "loaded": [m for m in {heavy!r} if m in sys.modules]}}
window.close()
print(json.dumps(out))
"""


def test_a_prediction_on_screen_imports_neither_torch_nor_transformers(tmp_path: Path, tiny_model: Path,
                                                                        small_tsv: Path) -> None:
    from app_helpers import make_project

    assert json.loads((tiny_model / "model.json").read_text())["serving"]["runtime"] == "onnx"  # has its export
    project = make_project(tmp_path / "reviews.db", small_tsv, tiny_model)
    code = CHILD.format(data=str(tmp_path / "data"), ini=str(tmp_path / "settings.ini"), project=str(project),
                        heavy=HEAVY)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["state"] == "ready" and "onnx on cpu" in out["message"], out
    assert out["shown"] and out["label"] in ("negative", "neutral", "positive")
    assert out["loaded"] == []


def test_a_folder_without_an_export_is_served_by_torch(tiny_model: Path, tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old"
    shutil.copytree(tiny_model, old)
    info = json.loads((old / "model.json").read_text())
    del info["serving"]  # as a folder saved before exports were written
    (old / "model.json").write_text(json.dumps(info), encoding="utf-8")
    heard: list[str] = []
    model = load_predictor(str(old), "cpu", heard.append)
    assert model.runtime == "torch" and heard == []  # an older folder: torch, silently
    onnx = load_predictor(str(tiny_model), "cpu", heard.append)
    assert onnx.runtime == "onnx" and heard == []
    sentence = "The soup was cold but the bread was warm."
    assert model.predict_one(sentence, 4, 8).label == onnx.predict_one(sentence, 4, 8).label


def test_a_broken_export_falls_back_to_torch_with_one_line(tiny_model: Path, tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    precision = json.loads((broken / "model.json").read_text())["serving"]["precision"]
    onnx_file = broken / ("model.int8.onnx" if precision == "int8" else "model.onnx")
    onnx_file.write_bytes(onnx_file.read_bytes()[:1000])  # truncated, as by a full disk
    heard: list[str] = []
    model = load_predictor(str(broken), "cpu", heard.append)
    assert model.runtime == "torch"
    assert len(heard) == 1 and "\n" not in heard[0] and "torch instead" in heard[0]


@pytest.fixture
def starter_without_export(tiny_base_model: Path, small_examples: list, tmp_path: Path, monkeypatch) -> Path:
    """A LoRA model laid out as the shipped starter is (no export), with an empty user cache."""
    from core.ml.config import TrainConfig
    from core.ml.train import train

    cfg = TrainConfig.for_engine("lora", base_model=str(tiny_base_model), epochs=(1, 0), batch_size=8, seed=4)
    folder = train(cfg, small_examples, None).model.save(tmp_path / "resources" / "starter_model")
    info = json.loads((folder / "model.json").read_text())
    del info["serving"]
    (folder / "model.json").write_text(json.dumps(info), encoding="utf-8")
    for name in ("model.onnx", "model.int8.onnx"):
        (folder / name).unlink(missing_ok=True)
    monkeypatch.setattr("core.paths.starter_model_dir", lambda: folder)
    monkeypatch.setenv("POLARITY_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def test_the_starter_export_is_built_in_the_background_saying_so(qtbot, starter_without_export: Path) -> None:
    from PySide6.QtCore import QTimer

    from app.services.predictor_service import PREPARING, PredictionService, starter_ref
    from core.serve.starter import cached_export

    service = PredictionService()
    states: list[tuple[str, str]] = []
    service.state_changed.connect(lambda s, m: states.append((s, m)))
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(service.state == "loading"))
    timer.start(20)
    try:
        with qtbot.waitSignal(service.state_changed, timeout=120000, check_params_cb=lambda s, _m: s == "ready"):
            service.set_model(starter_ref(starter_without_export, "cpu"))
            assert service.loading_text != PREPARING  # nothing is being built yet: "Loading model…"
            qtbot.waitUntil(lambda: service.loading_text == PREPARING, timeout=60000)
    finally:
        timer.stop()
    building = [m for s, m in states if s == "loading" and "export" in m]
    assert building and "once" in building[0]  # the status bar says what it is doing
    assert "onnx" in service.message  # then served by the export it built
    assert sum(ticks) >= 3  # the GUI thread kept running while it was built
    assert cached_export(starter_without_export)[1] is not None
    assert service.shutdown(10000)
