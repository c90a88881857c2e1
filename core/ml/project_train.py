"""Train from a project, and store the active model's predictions.

Both are plain functions for a worker thread: they open their own ``Project`` (SQLite
connections must not cross threads), report through ``on_progress(TrainingProgress)`` and
poll ``should_stop()``, also around the slow steps after the last batch (scoring the previous
model, saving), so a cancel ends within a second. Training reads one snapshot of the labels, so labeling goes on meanwhile;
the new model folder is written atomically and only then registered (and made active unless the
caller, like the app, lets a person choose first).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

from core.ml.events import PREDICTING, SAVING, Progress, TrainingCancelled, TrainingProgress
from core.ml.split import stratified_split
from core.ml.terms.retrain import ExtractorRetrainConfig, PendingExtractor, fit_project_extractor
from core.storage.errors import StoreError
from core.storage.records import ModelVersionRecord, TrainingRunRecord
from core.storage.repository import Project
MIN_LABELS = 10  # fewer labeled terms than this cannot train anything useful
PREDICT_CHUNK = 2048  # terms predicted (and committed) at a time


def train_project(project: str | Path, cfg: Any, *, dev_file: str | Path | None = None, dev_format: str | None = None,
                  dev_fraction: float = 0.1, on_progress: Progress | None = None,
                  should_stop: Callable[[], bool] | None = None, models_dir: str | Path | None = None,
                  on_epoch: Callable[[dict[str, Any]], None] | None = None, activate: bool = True,
                  extractor: ExtractorRetrainConfig | None = None
                  ) -> tuple[TrainingRunRecord, ModelVersionRecord | None]:
    """Train ``cfg`` (a ``TrainConfig``) on the project's current labels; register the model, active if ``activate``.

    ``project``: a project file or a database URL (``models_dir`` as for ``Project.open``).
    Dev data: ``dev_file`` (any format, labels required) or a stratified ``dev_fraction`` of the labels.
    ``activate=False`` registers it inactive (the app activates it when the person keeps it).
    ``extractor``: when the project has enough fully annotated sentences, the term extractor is
    retrained too (default ``ExtractorRetrainConfig()``; ``enabled=False`` skips it); the run's
    metrics say under ``"extractor"`` whether it was updated, and its dev F1.
    Returns (run, version); version is None when cancelled. Any failure marks the run failed and re-raises.
    """
    from core.ml.train import train

    dev_examples = None
    if dev_file is not None:  # a bad dev file is the user's to fix, not a failed run
        from core.formats import read_examples

        dev_examples = read_examples(dev_file, dev_format, require_labels=True).examples
    from core.ml.distributed import is_main_process

    if not is_main_process():
        _train_as_worker_rank(project, cfg, dev_examples, dev_fraction, should_stop, models_dir)
        return None, None  # type: ignore[return-value]
    with Project.open(project, models_dir=models_dir) as store:
        run = store.start_run({"train": cfg.to_dict(), "dev_file": str(dev_file) if dev_file else None,
                               "dev_fraction": None if dev_file else dev_fraction})
        folder: Path | None = None
        pending: PendingExtractor | None = None
        try:
            snapshot = store.labeled_examples()  # one read transaction; labeling goes on meanwhile
            if len(snapshot) < MIN_LABELS:
                raise StoreError(f"only {len(snapshot)} labeled terms; label at least {MIN_LABELS} to train")
            if dev_examples is not None:
                train_set, dev_set = snapshot, dev_examples
            else:
                train_set, dev_set = stratified_split(snapshot, dev_fraction, cfg.seed)
            last = TrainingProgress(SAVING, 0, 0, 0, 1)  # where the training's progress ended

            def report(event: TrainingProgress) -> None:
                nonlocal last
                last = event
                if on_progress is not None:
                    on_progress(event)

            result = train(cfg, train_set, dev_set or None, on_progress=report, should_stop=should_stop,
                           on_epoch=on_epoch)
            _check_stop(should_stop)
            metrics = dict(result.metrics)
            metrics.update({"n_train": len(train_set), "n_dev": len(dev_set), "seconds": round(result.seconds, 2),
                            "device": result.device, "dev": Path(dev_file).name if dev_file else "split"})
            previous = store.active_model()
            if previous is not None and dev_set:
                metrics["previous"] = _score_previous(previous, dev_set, cfg.device)
            _check_stop(should_stop)  # scoring the previous model loads it: seconds, so look again
            if on_progress is not None:
                on_progress(TrainingProgress(SAVING, 0, 0, last.step, last.total))
            folder = store.new_model_folder(run.id)
            folder.parent.mkdir(parents=True, exist_ok=True)
            result.model.save(folder)  # temp folder + fsync + rename: complete or absent
            del result  # the extractor trains next: hold one network in memory, not two
            pending = fit_project_extractor(store, extractor or ExtractorRetrainConfig(), base_model=cfg.base_model,
                                            device=cfg.device, seed=cfg.seed, run_id=run.id,
                                            on_progress=on_progress, should_stop=should_stop)
            _check_stop(should_stop)  # the last moment a cancel can still leave the project unchanged
            version = store.register_model(folder, cfg.engine, cfg.base_model, cfg.to_dict(), metrics,
                                           n_labels=len(snapshot), activate=activate)
            run_metrics = {**metrics, "extractor": _register_extractor(store, pending, run.id)}
            run = store.finish_run(run.id, "succeeded", metrics=run_metrics, model_version_id=version.id)
            return run, version
        except TrainingCancelled:
            _discard(store, folder)
            _discard_extractor(store, pending)
            return store.finish_run(run.id, "cancelled", error="cancelled"), None
        except BaseException as exc:
            _discard(store, folder)
            _discard_extractor(store, pending)
            store.finish_run(run.id, "failed", error=f"{type(exc).__name__}: {exc}")
            raise


def _register_extractor(store: Project, pending: PendingExtractor, run_id: int) -> dict[str, Any]:
    """Make the new extractor the project's own (if one was saved); the result says where it is."""
    if pending.folder is None:
        return pending.result
    record = store.register_extractor(pending.folder, {k: pending.result.get(k) for k in
                                                       ("dev_f1", "dev", "n_train", "n_dev")}, run_id)
    return {**pending.result, "folder": record.folder}


def _discard_extractor(store: Project, pending: PendingExtractor | None) -> None:
    """Remove an extractor folder saved for a run that did not register it."""
    if pending is None or pending.folder is None or not pending.folder.is_dir():
        return
    own = store.project_extractor()
    if own is None or Path(own.folder).resolve() != pending.folder.resolve():
        shutil.rmtree(pending.folder, ignore_errors=True)


def _check_stop(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise TrainingCancelled("training was cancelled")


def _train_as_worker_rank(project: str | Path, cfg: Any, dev_examples: list[Any] | None, dev_fraction: float,
                          should_stop: Callable[[], bool] | None, models_dir: str | Path | None = None) -> None:
    """A non-zero rank under torchrun: the same snapshot and split as rank 0, its share of the
    batches, and no writes at all (rank 0 records the run and registers the model)."""
    from core.ml.train import train

    with Project.open(project, recover_runs=False, models_dir=models_dir) as store:
        snapshot = store.labeled_examples()
    if len(snapshot) < MIN_LABELS:
        return
    if dev_examples is not None:
        train_set, dev_set = snapshot, dev_examples
    else:
        train_set, dev_set = stratified_split(snapshot, dev_fraction, cfg.seed)
    train(cfg, train_set, dev_set or None, should_stop=should_stop)


def _score_previous(previous: ModelVersionRecord, dev_set: list[Any], device: str) -> dict[str, Any]:
    """The previously active model's score on the same dev data, to compare the new one with."""
    from core.ml.metrics import evaluate
    from core.ml.model import PolarityModel

    try:
        model = PolarityModel.load(previous.folder, device=device, precision="float32")  # as the new one was scored
        preds = model.predict(dev_set)
        scored = evaluate([e.polarity for e in dev_set], [p.label for p in preds])
        return {"model_version_id": previous.id, "accuracy": scored["accuracy"], "macro_f1": scored["macro_f1"],
                "n_dev": len(dev_set)}
    except Exception as exc:  # the comparison is a courtesy; it never fails a training run
        return {"model_version_id": previous.id, "error": f"{type(exc).__name__}: {exc}"}


def _discard(store: Project, folder: Path | None) -> None:
    """Remove a model folder written for a run that did not register it."""
    if folder is None or not folder.is_dir():
        return
    if any(Path(m.folder).resolve() == folder.resolve() for m in store.models()):
        return
    shutil.rmtree(folder, ignore_errors=True)


def predict_project(project: str | Path, *, batch_size: int = 32, device: str = "auto",
                    on_progress: Progress | None = None, should_stop: Callable[[], bool] | None = None,
                    models_dir: str | Path | None = None, runtime: str = "auto") -> int:
    """Store the active model's prediction for every unlabeled term; return how many were stored.

    Each chunk is its own transaction, so a stop (or crash) keeps what was already predicted.
    ``runtime``: auto (onnx where the model folder has an export, else torch), onnx or torch.
    """
    from core.serve import load_predictor

    with Project.open(project, models_dir=models_dir) as store:
        version = store.active_model()
        if version is None:
            raise StoreError("no active model: train one first (polarity project train)")
        model = load_predictor(version.folder, runtime=runtime, device=device)
        items = store.unlabeled_terms()
        done = 0
        for start in range(0, len(items), PREDICT_CHUNK):
            if should_stop is not None and should_stop():
                break
            chunk = items[start:start + PREDICT_CHUNK]
            preds = model.predict([ex for _tid, ex in chunk], batch_size=batch_size)
            done += store.store_predictions(version.id, [(tid, p) for (tid, _ex), p in zip(chunk, preds)])
            if on_progress is not None:
                on_progress(TrainingProgress(PREDICTING, 0, 0, done, len(items)))
        return done
