"""The model-holding predictor: one worker lane that loads a model once and answers term after term.

Every piece of work (load, predict, one scoring step) is a ``Worker`` on one ``WorkerLane``, so
the loaded model and the scoring connection (``_Engine``) stay on that one thread. A folder with
an ONNX export is served by onnxruntime (``core.serve``), so neither torch nor transformers is
imported just to predict; only a folder without one (or a CUDA device) loads torch, there, never
in the GUI thread. The starter model's export is built once into the user cache on its first
load (with torch, on the lane), saying so meanwhile (app.services.model_loader).
``PredictionService`` is the GUI-side face: it caches predictions per (model, sentence, start,
end) and hands answers back by signal. Between requests it scores the project's terms for the
active version in small steps and stores them (the "least confident" and "model disagrees"
filters rank by them); an interactive request waits at most one small step.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.services.model_loader import load_predictor, use_default_torch_threads, use_one_torch_thread  # noqa: F401
from app.workers.worker import Worker, WorkerLane
from core.domain import Prediction

log = logging.getLogger(__name__)

SCORE_STEP = 4      # terms per background step: ~30 ms on a free CPU, so a click never waits long
IDLE_BEFORE_SCORING_S = 1.5  # background scoring pauses while the person is picking terms
PAUSE_MS = 250
SCORE_PAGE = 64     # sentences read from the store at a time while scoring
CACHE_LIMIT = 50_000
LOADING = "Loading model…"
PREPARING = "Preparing the model, once (about a minute)…"  # the starter's export being built


@dataclass(frozen=True)
class ModelRef:
    """Which model to serve: a registered version of the project, or the starter model."""

    key: str                   # cache key: "v3@/path/project.db" or "starter"
    folder: str
    version_id: int | None     # None: not registered (predictions are not stored)
    name: str                  # for people: "v3 · two-phase"
    device: str = "auto"


@dataclass(frozen=True)
class PredictKey:
    model: str
    sentence: str
    start: int
    end: int


@dataclass(frozen=True)
class ScoreJob:
    ref: ModelRef
    project: str               # the project file or URL; the engine opens its own connection
    models_dir: str | None = None  # a server project's models folder, as the GUI resolved it


@dataclass
class _Engine:
    """What lives on the predictor lane; only the lane's jobs below touch it."""

    model: Any = None
    ref: ModelRef | None = None
    job: ScoreJob | None = None
    store: Any = None
    queue: list[tuple[int, Any]] = field(default_factory=list)
    offset: int = 0
    done: int = 0
    total: int = 0

    def end_job(self) -> None:
        self.job, self.queue = None, []
        if self.store is not None:
            self.store.close()
            self.store = None


# ---- lane jobs (plain functions: they run on the predictor lane, one at a time) ----------------
def _load_job(engine: _Engine, ref: ModelRef, loader: Callable[..., Any], *, on_progress: Any,
              should_stop: Any) -> tuple[ModelRef, bool, str]:
    """(ref, loaded?, message): a bad model folder is an answer, not a failure of the lane.
    What the loader says meanwhile (building the starter's export) goes out as progress."""
    if engine.ref == ref and engine.model is not None:
        return ref, True, "already loaded"
    engine.end_job()
    engine.model, engine.ref = None, ref
    started = time.perf_counter()
    try:
        engine.model = loader(ref.folder, ref.device, on_progress)
    except Exception as exc:  # noqa: BLE001 - reported, never fatal
        engine.ref = None
        return ref, False, str(exc) or type(exc).__name__
    seconds = time.perf_counter() - started
    runtime = getattr(engine.model, "runtime", "torch")
    log.info("model %s loaded in %.2f s on %s (%s)", ref.name, seconds, engine.model.device, runtime)
    return ref, True, f"{runtime} on {engine.model.device}, loaded in {seconds:.1f} s"


def _predict_job(engine: _Engine, key: PredictKey, *, on_progress: Any,
                 should_stop: Any) -> tuple[PredictKey, Prediction] | None:
    if engine.model is None or engine.ref is None or key.model != engine.ref.key:
        return None  # asked of a model that is no longer (or not yet) served; a newer request follows
    return key, engine.model.predict_one(key.sentence, key.start, key.end)


def _score_start_job(engine: _Engine, job: ScoreJob, *, on_progress: Any, should_stop: Any) -> bool:
    """Open the project for storing predictions of ``job.ref``; False when there is nothing to do."""
    engine.end_job()
    if engine.model is None or engine.ref != job.ref or job.ref.version_id is None:
        return False
    from core.storage import Project

    engine.store = Project.open(job.project, recover_runs=False, models_dir=job.models_dir)
    engine.job, engine.queue, engine.offset, engine.done = job, [], 0, 0
    engine.total = engine.store.stats().terms
    return True


def _score_step_job(engine: _Engine, job: ScoreJob, *, on_progress: Any, should_stop: Any) -> tuple[int, int, bool]:
    """Store predictions for the next few terms: (done, total, finished)."""
    if engine.job != job or engine.ref != job.ref or engine.store is None:
        return engine.done, engine.total, True
    if not engine.queue and not _fill_queue(engine):
        engine.end_job()
        return engine.done, engine.total, True
    chunk, engine.queue = engine.queue[:SCORE_STEP], engine.queue[SCORE_STEP:]
    preds = engine.model.predict_many([item for _tid, item in chunk])
    engine.store.store_predictions(job.ref.version_id, [(tid, p) for (tid, _), p in zip(chunk, preds)])
    engine.done += len(chunk)
    return engine.done, engine.total, False


def _fill_queue(engine: _Engine) -> bool:
    """Read the next sentences and queue their terms that have no prediction of this version."""
    from core.storage import SentenceFilter

    active = engine.store.active_model()
    if active is None or engine.job is None or active.id != engine.job.ref.version_id:
        return False
    while not engine.queue:
        page = engine.store.page(SentenceFilter(), offset=engine.offset, limit=SCORE_PAGE)
        if not page:
            return False
        engine.offset += len(page)
        for rec in page:
            for t in rec.terms:
                if t.predicted is None:
                    engine.queue.append((t.id, (rec.text, t.start, t.end)))
                else:
                    engine.done += 1
    return True


def _unload_job(engine: _Engine, *, on_progress: Any, should_stop: Any) -> None:
    """Serve nothing: stop scoring (closing its connection on this thread) and free the model."""
    engine.end_job()
    engine.model, engine.ref = None, None


class PredictionService(QObject):
    """GUI-thread face of the predictor lane: a cache, requests, and answers as signals.

    ``state`` is "none" (no model), "loading", "ready" or "failed".
    """

    prediction = Signal(object, object)       # PredictKey, Prediction (only for the served model)
    state_changed = Signal(str, str)          # state, message for people
    scoring_progress = Signal(int, int)       # done, total
    scoring_finished = Signal(int)            # version id

    def __init__(self, parent: QObject | None = None, loader: Callable[..., Any] = load_predictor) -> None:
        super().__init__(parent)
        self._lane = WorkerLane("predictor", self)
        self._engine = _Engine()
        self._loader = loader
        self._cache: dict[PredictKey, Prediction] = {}
        self._ref: ModelRef | None = None
        self._project: str | None = None
        self._models_dir: str | None = None
        self._score: ScoreJob | None = None  # the scoring under way (None: none)
        self._last_request = 0.0
        self._closed = False
        self.state = "none"
        self.message = "No model yet"
        self.loading_text = LOADING  # what the term card says while the model loads

    # ---- model -------------------------------------------------------------------------------
    @property
    def model(self) -> ModelRef | None:
        return self._ref

    def set_model(self, ref: ModelRef | None, project: str | None = None, why_none: str = "",
                  models_dir: str | None = None) -> None:
        """Serve ``ref`` (loading it on the predictor lane) or nothing; then score ``project``."""
        self._project, self._models_dir = project, models_dir
        if ref == self._ref and self.state in ("loading", "ready"):
            if self.state == "ready":
                self._start_scoring()
            return
        self._ref, self._score = ref, None
        if ref is None:
            self._submit(Worker(_unload_job, self._engine))
            self._set_state("none", why_none or "No model yet")
            return
        self.loading_text = LOADING
        self._set_state("loading", f"Loading {ref.name}…")
        worker = Worker(_load_job, self._engine, ref, self._loader)
        worker.progress.connect(self._on_load_progress)
        worker.finished.connect(self._on_loaded)
        self._submit(worker)

    def _submit(self, worker: Worker) -> None:
        if not self._closed:
            self._lane.submit(worker)

    # ---- predictions -------------------------------------------------------------------------
    def key(self, sentence: str, start: int, end: int) -> PredictKey | None:
        return PredictKey(self._ref.key, sentence, start, end) if self._ref is not None else None

    def cached(self, sentence: str, start: int, end: int) -> Prediction | None:
        key = self.key(sentence, start, end)
        return self._cache.get(key) if key is not None else None

    def remember(self, sentence: str, start: int, end: int, pred: Prediction) -> None:
        """Seed the cache (e.g. with a prediction the store holds for the active version)."""
        key = self.key(sentence, start, end)
        if key is not None:
            self._put(key, pred)

    def request(self, sentence: str, start: int, end: int) -> Prediction | None:
        """The cached prediction, or None and a ``prediction`` signal later (once loaded)."""
        key = self.key(sentence, start, end)
        if key is None:
            return None
        hit = self._cache.get(key)
        if hit is None:
            self._last_request = time.monotonic()
            worker = Worker(_predict_job, self._engine, key)
            worker.finished.connect(self._on_predicted)
            self._submit(worker)
        return hit

    def _put(self, key: PredictKey, pred: Prediction) -> None:
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = pred

    # ---- answers (queued into the GUI thread) --------------------------------------------------
    @Slot(object)
    def _on_loaded(self, answer: tuple[ModelRef, bool, str]) -> None:
        ref, ok, message = answer
        if ref != self._ref:
            return  # a model asked for before the one served now
        if not ok:
            log.warning("model %s failed to load: %s", ref.folder, message)
            self._set_state("failed", f"{ref.name} could not be loaded: {message}")
            return
        self._set_state("ready", f"{ref.name} ({message})")
        self._start_scoring()

    @Slot(object)
    def _on_load_progress(self, message: object) -> None:
        """The loader's news while loading (the starter's export being built, a fallback to torch)."""
        building = str(message).startswith("building")
        (log.info if building else log.warning)("model %s: %s", self._ref.name if self._ref else "?", message)
        if self.state == "loading" and self._ref is not None:
            self.loading_text = PREPARING if building else self.loading_text
            self._set_state("loading", f"{self._ref.name}: {message}")

    @Slot(object)
    def _on_predicted(self, answer: Any) -> None:
        if answer is None:
            return
        key, pred = answer
        self._put(key, pred)
        if self._ref is not None and key.model == self._ref.key:
            self.prediction.emit(key, pred)

    # ---- background scoring ------------------------------------------------------------------
    def _start_scoring(self) -> None:
        if self._ref is None or self._ref.version_id is None or not self._project:
            return
        job = ScoreJob(self._ref, self._project, self._models_dir)
        if job == self._score:
            return
        self._score = job
        worker = Worker(_score_start_job, self._engine, job, quiet=True)
        worker.finished.connect(self._on_scoring_started)
        worker.failed.connect(self._on_scoring_failed)
        self._submit(worker)

    @Slot(object)
    def _on_scoring_started(self, started: bool) -> None:
        if started and self._score is not None:
            self._next_step()
        elif not started:
            self._score = None

    @Slot()
    def _next_step(self) -> None:
        job = self._score
        if job is None or self._closed:
            return
        if time.monotonic() - self._last_request < IDLE_BEFORE_SCORING_S:
            QTimer.singleShot(PAUSE_MS, self, self._next_step)  # the person is busy: their clicks come first
            return
        worker = Worker(_score_step_job, self._engine, job, quiet=True)
        worker.finished.connect(self._on_scored_step)
        worker.failed.connect(self._on_scoring_failed)
        self._submit(worker)

    @Slot(object)
    def _on_scored_step(self, result: tuple[int, int, bool]) -> None:
        job = self._score
        if job is None or job.ref != self._ref:
            return
        done, total, finished = result
        if finished:
            self._score = None
            if job.ref.version_id is not None:
                self.scoring_finished.emit(job.ref.version_id)
            return
        self.scoring_progress.emit(done, total)
        QTimer.singleShot(0, self, self._next_step)

    @Slot(str)
    def _on_scoring_failed(self, message: str) -> None:
        log.warning("background scoring stopped: %s", message)  # the store moved on (version deleted...)
        self._score = None

    def _set_state(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self.state_changed.emit(state, message)

    # ---- shutdown ----------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Stop scoring, let a running load finish, free the model on its lane, quit and wait."""
        if self._closed:
            return True
        self._score = None
        self._closed = True
        # the unload closes the scoring connection on the thread that opened it
        if not self._lane.stop(timeout_ms, last=Worker(_unload_job, self._engine)):
            return False
        self._engine.end_job()  # the lane has ended: whatever it left open can be closed here
        return True


def model_ref_for(version: Any, project: str, device: str = "auto") -> ModelRef:
    """A ModelRef for a registered ``ModelVersionRecord`` of ``project``."""
    note = "starter" if "starter" in str((version.metrics or {}).get("note", "")) else version.engine
    return ModelRef(f"v{version.id}@{project}", version.folder, version.id, f"v{version.id} · {note}", device)


def starter_ref(folder: Path, device: str = "auto") -> ModelRef:
    return ModelRef(f"starter@{folder}", str(folder), None, "starter model", device)
