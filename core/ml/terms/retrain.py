"""A project retrain also fits the project's own term extractor, once enough sentences are fully
annotated (SemEval imports and sentences marked "all terms done").

``train_project`` (core/ml/project_train.py) calls ``fit_project_extractor`` after the polarity
model is saved and before anything is registered, so a cancel anywhere leaves the project as it
was. The new extractor is scored on a held-out slice of the annotated sentences beside the
extractor the project uses now (its own, else the starter); it is saved only when it scores at
least as well, so a retrain never makes suggestions worse. The slice is chosen by a hash of the
sentence text, so a sentence is held out in every retrain or in none: the previous project
extractor never trained on the sentences it is compared on. (The starter was trained on the
SemEval-14 train files; a project that imported them scores the starter on sentences it saw, which
only makes keeping it more likely.)

Torch is imported only inside the functions, so the app can ask ``project_extractor_folder``
without loading it.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from core.ml.events import EXTRACTOR, Progress, TrainingCancelled, TrainingProgress


@dataclass(frozen=True)
class ExtractorRetrainConfig:
    enabled: bool = True
    # 50 fully annotated sentences hold out 10 (the 20 % slice, min_dev below), about 15 terms in
    # review data: the fewest on which comparing two extractors' F1 says anything. The guard that
    # keeps a better previous extractor makes a low threshold safe: a weak model is never used.
    min_sentences: int = 50
    dev_fraction: float = 0.2
    min_dev: int = 10
    # Quick settings: the starter's recipe (LoRA, lr 1e-3, batch 16) with 2 epochs, not 3; on a
    # few hundred sentences that is seconds to a minute on a CPU, beside the polarity model's minutes.
    epochs: int = 2


@dataclass
class PendingExtractor:
    """A trained extractor saved but not yet registered (folder None: nothing to register)."""

    folder: Path | None
    result: dict[str, Any] = field(default_factory=dict)  # what the run's metrics report under "extractor"


def project_extractor_folder(project: Any) -> Path | None:
    """The extractor the project trained for itself (newest registered), or None."""
    record = project.project_extractor()
    return Path(record.folder) if record is not None else None


def starter_extractor_dir() -> Path:
    """Where the shipped starter extractor lives (the same folder as ``default_extractor_dir``, torch-free)."""
    from core.paths import resources_dir

    return resources_dir() / "starter_extractor"


def extractor_folder_for(project: Any) -> Path | None:
    """What suggestions use by default: the project's own extractor, else the starter (None: neither)."""
    own = project_extractor_folder(project)
    if own is not None:
        return own
    starter = starter_extractor_dir()
    return starter if starter.is_dir() else None


def describe_extractor_result(e: dict[str, Any] | None) -> str:
    """The extractor half of a retrain in one sentence (the CLI prints it, the app shows it)."""
    if not e:
        return "Term extractor: not retrained."
    if e.get("updated"):
        return (f"Term extractor updated: dev F1 {e['dev_f1']:.3f} on {e['n_dev']} held-out sentences "
                f"(trained on {e['n_train']}).")
    f1 = f" (dev F1 {e['dev_f1']:.3f})" if isinstance(e.get("dev_f1"), float) else ""
    return f"Term extractor not updated{f1}: {e.get('reason') or e.get('error')}."


def split_annotated(data: Sequence[Any], cfg: ExtractorRetrainConfig) -> tuple[list[Any], list[Any]]:
    """(train, held out): a sentence is held out when the hash of its text falls in the slice."""
    keyed = sorted(data, key=lambda s: (_bucket(s.text), s.text))
    n_dev = sum(1 for s in keyed if _bucket(s.text) < cfg.dev_fraction)
    n_dev = min(max(n_dev, cfg.min_dev), len(keyed) // 2)
    return keyed[n_dev:], keyed[:n_dev]


def _bucket(text: str) -> float:
    return zlib.crc32(text.encode("utf-8")) / 2**32


def fit_project_extractor(store: Any, cfg: ExtractorRetrainConfig, *, base_model: str, device: str, seed: int,
                          run_id: int | None, on_progress: Progress | None = None,
                          should_stop: Callable[[], bool] | None = None) -> PendingExtractor:
    """Train, compare and (if not worse) save the project's extractor; the caller registers it.

    A failure here is reported in the result, not raised: the polarity model of the same run is
    good whatever happened to the extractor. A cancel is raised (the whole run stops)."""
    try:
        return _fit(store, cfg, base_model, device, seed, run_id, on_progress, should_stop)
    except TrainingCancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - the extractor is the optional half of a retrain
        return PendingExtractor(None, {"trained": False, "updated": False, "error": f"{type(exc).__name__}: {exc}",
                                       "reason": "the extractor could not be trained; the previous one stays"})


def _fit(store: Any, cfg: ExtractorRetrainConfig, base_model: str, device: str, seed: int, run_id: int | None,
         on_progress: Progress | None, should_stop: Callable[[], bool] | None) -> PendingExtractor:
    from core.ml.terms.pipeline import project_training_data

    data = project_training_data(store) if cfg.enabled else []
    base = {"trained": False, "updated": False, "n_annotated": len(data), "min_sentences": cfg.min_sentences}
    if not cfg.enabled:
        return PendingExtractor(None, {**base, "reason": "extractor retraining is off"})
    if len(data) < cfg.min_sentences:
        return PendingExtractor(None, {**base, "reason": f"{len(data)} fully annotated sentences; the extractor "
                                                         f"retrains from {cfg.min_sentences}"})
    train, dev = split_annotated(data, cfg)
    started = time.perf_counter()
    model, metrics = _train(train, dev, cfg, base_model, device, seed, on_progress, should_stop)
    new_f1 = float(metrics["f1"])
    previous = _score_previous(store, dev, device, on_progress, should_stop)
    result = {**base, "trained": True, "dev_f1": round(new_f1, 4), "dev": metrics, "n_train": len(train),
              "n_dev": len(dev), "previous": previous}
    if isinstance(previous.get("f1"), float) and new_f1 < previous["f1"]:
        result["seconds"] = round(time.perf_counter() - started, 2)
        result["reason"] = (f"scored below the {previous['kind']} extractor on the same {len(dev)} held-out "
                            f"sentences (F1 {new_f1:.3f} < {previous['f1']:.3f}); the {previous['kind']} one stays")
        return PendingExtractor(None, result)
    _check_stop(should_stop)
    _report(on_progress, TrainingProgress(EXTRACTOR, 0, 0, 1, 1))
    folder = store.new_extractor_folder(run_id)
    model.info["name"] = f"project extractor (run {run_id})"
    model.save(folder, check=dev)  # temp folder + fsync + rename: complete or absent; dev judges int8
    result.update(updated=True, seconds=round(time.perf_counter() - started, 2))
    return PendingExtractor(folder, result)


def _train(train: list[Any], dev: list[Any], cfg: ExtractorRetrainConfig, base_model: str, device: str, seed: int,
           on_progress: Progress | None, should_stop: Callable[[], bool] | None) -> tuple[Any, dict[str, Any]]:
    from core.ml.terms.train import ExtractorConfig, train_extractor

    def relabel(event: TrainingProgress) -> None:  # every step says it is the extractor's
        _report(on_progress, TrainingProgress(EXTRACTOR, event.epoch, event.epochs, event.step, event.total,
                                              event.loss, event.metrics, event.batch, event.batches))

    _check_stop(should_stop)
    _report(on_progress, TrainingProgress(EXTRACTOR, 0, 0, 0, 1))
    ecfg = ExtractorConfig(base_model=base_model, device=device, seed=seed, epochs=cfg.epochs)
    result = train_extractor(ecfg, train, dev, on_progress=relabel, should_stop=should_stop)
    _check_stop(should_stop)  # scoring the dev slice after the last batch takes seconds
    return result.model, dict(result.metrics or {})


def _score_previous(store: Any, dev: list[Any], device: str, on_progress: Progress | None,
                    should_stop: Callable[[], bool] | None) -> dict[str, Any]:
    """The extractor in use now (the project's, else the starter) on the same held-out sentences."""
    from core.ml.terms.extractor import TermExtractor
    from core.ml.terms.train import score_extractor

    own = project_extractor_folder(store)
    folder = own or extractor_folder_for(store)
    if folder is None:
        return {"kind": None}
    kind = "project" if own is not None else "starter"
    _check_stop(should_stop)
    _report(on_progress, TrainingProgress(EXTRACTOR, 0, 0, 0, 1))
    try:
        scored = score_extractor(TermExtractor.load(folder, device=device), dev)
    except Exception as exc:  # an unloadable previous one cannot be kept in favour of a working one
        return {"kind": kind, "folder": str(folder), "error": f"{type(exc).__name__}: {exc}"}
    _check_stop(should_stop)  # loading and scoring it took seconds
    return {"kind": kind, "folder": str(folder), "f1": round(float(scored["f1"]), 4)}


def _report(on_progress: Progress | None, event: TrainingProgress) -> None:
    if on_progress is not None:
        on_progress(event)


def _check_stop(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise TrainingCancelled("training was cancelled")
