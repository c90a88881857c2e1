"""``polarity-studio --self-test``: proves an installed (or frozen) program works, with no network.

In a temporary folder (never the person's data or settings) it shows the main window offscreen,
builds a project from the demo corpus, loads the starter model on the bundled encoder, predicts
a term, trains a tiny two-phase model on 16 labeled terms (one step of the whole network, one
head epoch), saves it as safetensors and loads it back. It prints ONE line of JSON and returns 0;
any failure prints ``{"ok": false, "step": ..., "error": ...}`` and returns 1.

The window comes first, so ``window_seconds`` is the cold start of the process to a shown
window, as a person would see it (torch is not imported yet: the app loads it after the window).
``--self-test FILE`` writes the line to FILE as well (a windowed Windows build has no stdout).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import core

TRAIN_TERMS = 16
PROBE_SENTENCE = "The pasta was cold but the staff were lovely."
PROBE_TERM = "staff"


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def run_self_test(report_path: str | None = None) -> int:
    """Run every step; print one JSON line (and write it to ``report_path`` if given); 0 if all passed."""
    started = time.perf_counter()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    report: dict[str, Any] = {"ok": False, "version": core.__version__, "frozen": is_frozen()}
    step = "start"
    try:
        with tempfile.TemporaryDirectory(prefix="polarity-self-test-") as tmp_name:
            tmp = Path(tmp_name)
            steps: list[tuple[str, Callable[[Path, dict[str, Any]], None]]] = [
                ("window", show_window), ("project", make_project), ("predict", predict_with_starter),
                ("train", train_tiny), ("project_predictions", store_prediction),
            ]
            for step, func in steps:
                func(tmp, report)
        report["ok"] = True
    except BaseException as exc:  # noqa: BLE001 - every failure becomes the report
        report.update(ok=False, step=step, error=f"{type(exc).__name__}: {exc}")
        if os.environ.get("POLARITY_STUDIO_DEBUG"):
            traceback.print_exc()
    report.pop("_project", None)
    report.pop("_model", None)
    report["total_seconds"] = round(time.perf_counter() - started, 2)
    _emit(report, report_path)
    return 0 if report["ok"] else 1


def _emit(report: dict[str, Any], report_path: str | None) -> None:
    line = json.dumps(report, sort_keys=True, default=str)
    if sys.stdout is not None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    if report_path and report_path != "-":
        Path(report_path).write_text(line + "\n", encoding="utf-8")


# ---- steps --------------------------------------------------------------------------------------
def show_window(tmp: Path, report: dict[str, Any]) -> None:
    """The real main window with its controllers, shown offscreen; SVG icons must render."""
    from PySide6.QtCore import QCoreApplication, QEvent, QSize
    from PySide6.QtGui import QIcon

    from app.context import AppContext
    from app.main import build, make_application, process_age, wait_until
    from core.paths import resources_dir

    t0 = time.perf_counter()
    app = make_application()
    ctx = AppContext.create(tmp / "data", tmp / "settings.ini", starter_model=True, poll_ms=0)
    window, _controller = build(ctx)
    window.show()
    wait_until(lambda: window.isVisible(), 10.0)
    app.processEvents()
    report["window_seconds"] = round(process_age(), 2)  # process start -> window shown
    report["window_build_seconds"] = round(time.perf_counter() - t0, 2)
    report["qt_platform"] = app.platformName()
    icon = QIcon(str(resources_dir() / "icons" / "polarity-studio.svg"))
    if icon.pixmap(QSize(32, 32)).isNull():
        raise RuntimeError("SVG icons do not render: Qt's svg image/icon-engine plugins are missing")
    if window.grab().isNull():
        raise RuntimeError("the main window could not be rendered")
    window.close()  # runs the controller's shutdown through the close guard
    window.deleteLater()  # delete the widgets now, while their Python objects still exist
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    app.processEvents()


def make_project(tmp: Path, report: dict[str, Any]) -> None:
    """The demo corpus imported into a new project, the starter model registered as version 1."""
    from app.services.project_service import ensure_demo_project
    from core.paths import starter_model_dir
    from core.storage import Project

    path = ensure_demo_project(tmp / "self-test.db", starter_model_dir())
    with Project.open(path) as project:
        labeled, unlabeled, active = project.labeled_examples(), project.unlabeled_terms(), project.active_model()
    if not labeled or not unlabeled:
        raise RuntimeError(f"the demo project is incomplete ({len(labeled)} labeled, {len(unlabeled)} unlabeled)")
    if active is None:
        raise RuntimeError("the starter model was not registered")
    report["project"] = {"labeled": len(labeled), "unlabeled": len(unlabeled), "model_version": active.id}
    report["_project"] = (path, labeled, unlabeled, active)


def predict_with_starter(tmp: Path, report: dict[str, Any]) -> None:
    """Load the starter model (a LoRA adapter merged into the bundled encoder) and predict."""
    from core.domain import find_term
    from core.ml.base_models import bundled_model_path, display_name
    from core.ml.model import PolarityModel

    encoder_dir = bundled_model_path()
    report["encoder"] = {"name": display_name("bundled"), "path": str(encoder_dir), "inside_build": _inside(encoder_dir)}
    t0 = time.perf_counter()
    _path, _labeled, _unlabeled, active = report["_project"]
    model = PolarityModel.load(active.folder, device="cpu")
    report["model_load_seconds"] = round(time.perf_counter() - t0, 2)  # imports torch + transformers too
    start, end = find_term(PROBE_SENTENCE, PROBE_TERM)
    t1 = time.perf_counter()
    pred = model.predict_one(PROBE_SENTENCE, start, end)
    report["predict_seconds"] = round(time.perf_counter() - t1, 3)
    report["first_prediction_seconds"] = round(time.perf_counter() - t0, 2)
    report["prediction"] = {"sentence": PROBE_SENTENCE, "term": PROBE_TERM, "label": pred.label.value,
                            "confidence": round(pred.confidence, 4), "probabilities": pred.as_dict()}
    import torch
    import transformers

    report["torch"], report["transformers"] = torch.__version__, transformers.__version__
    report["_model"] = model


def train_tiny(tmp: Path, report: dict[str, Any]) -> None:
    """One whole-network step and one head epoch on the bundled encoder; save; load back; predict."""
    from core.ml.config import TrainConfig
    from core.ml.model import PolarityModel
    from core.ml.train import train

    _path, labeled, _unlabeled, _active = report["_project"]
    examples = _balanced(labeled, TRAIN_TERMS)
    cfg = TrainConfig.for_engine("two-phase", base_model="bundled", epochs=(1, 1), batch_size=TRAIN_TERMS,
                                 device="cpu", max_length=64)
    t0 = time.perf_counter()
    result = train(cfg, examples, None)
    report["train_seconds"] = round(time.perf_counter() - t0, 2)
    saved = result.model.save(tmp / "trained-model")
    if not any(saved.rglob("*.safetensors")):
        raise RuntimeError(f"the trained model was saved without safetensors files: {sorted(saved.iterdir())}")
    reloaded = PolarityModel.load(saved, device="cpu")
    probs = reloaded.predict_proba([(e.sentence, e.start, e.end) for e in examples[:2]])
    if not all(abs(sum(p) - 1.0) < 1e-3 for p in probs):
        raise RuntimeError(f"the reloaded model predicts nonsense: {probs}")
    report["trained"] = {"terms": len(examples), "history": len(result.history),
                         "saved_mb": round(sum(p.stat().st_size for p in saved.rglob('*') if p.is_file()) / 2**20, 1)}


def store_prediction(tmp: Path, report: dict[str, Any]) -> None:
    """Predict the demo project's first unlabeled term with the starter model and store it."""
    from core.storage import Project

    path, _labeled, unlabeled, active = report["_project"]
    term_id, example = unlabeled[0]
    pred = report["_model"].predict([example])[0]
    with Project.open(path) as project:
        project.store_predictions(active.id, [(term_id, pred)])
        stored = project.get_term(term_id)
    if stored is None or stored.predicted is None:
        raise RuntimeError("the prediction was not stored in the project")
    report["project"]["predicted_term"] = {"term": example.term, "label": stored.predicted.value}


def _balanced(examples: list[Any], n: int) -> list[Any]:
    """Up to ``n`` examples taken in turn from each polarity (each class appears if it can)."""
    by_class: dict[str, list[Any]] = {}
    for e in examples:
        by_class.setdefault(e.polarity.value, []).append(e)
    out: list[Any] = []
    queues = [list(v) for _, v in sorted(by_class.items())]
    while len(out) < n and any(queues):
        for q in queues:
            if q and len(out) < n:
                out.append(q.pop(0))
    return out


def _inside(path: Path) -> bool | None:
    """Whether ``path`` lies inside the frozen build (None when not frozen)."""
    root = getattr(sys, "_MEIPASS", None)
    if not root:
        return None
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
        return True
    except ValueError:
        return False
