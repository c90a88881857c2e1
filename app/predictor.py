"""The model-holding predictor: one QThread that loads a model once and answers term after term.

``PredictorEngine`` lives on its own thread; torch and transformers are imported there, on the
first load, never in the GUI thread. ``PredictionService`` is its GUI-side face: it caches
predictions per (model, sentence, start, end), posts requests through queued signals and hands
answers back by signal. Between requests the engine scores the project's terms for the active
version in small steps and stores them (the "least confident" and "model disagrees" filters
rank by them); an interactive request waits at most one small step.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from core.domain import Prediction

log = logging.getLogger(__name__)

SCORE_STEP = 4      # terms per background step: ~30 ms on a free CPU, so a click never waits long
IDLE_BEFORE_SCORING_S = 1.5  # background scoring pauses while the person is picking terms
PAUSE_MS = 250
SCORE_PAGE = 64     # sentences read from the store at a time while scoring
CACHE_LIMIT = 50_000
_torch_threads: int | None = None  # torch's own default, before the predictor thread changed it


def use_one_torch_thread() -> None:
    """In the predictor thread: one intra-op thread. One short sentence gains little from more, and
    with training (or anything else) on the same cores, extra threads mostly wait: on 2 busy
    cores a MiniLM prediction took 16 ms median with one thread, 80-135 ms with two."""
    global _torch_threads
    import torch

    if _torch_threads is None:
        _torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)


def use_default_torch_threads() -> None:
    """In a training thread: torch's default again (threads started later inherit the predictor's 1)."""
    import torch

    if _torch_threads is not None:
        torch.set_num_threads(_torch_threads)


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
    project: str               # the project file; the engine opens its own connection


class PredictorEngine(QObject):
    """Lives on the predictor thread. Slots run there, one at a time, in the order posted."""

    loaded = Signal(object, str)
    load_failed = Signal(object, str)
    predicted = Signal(object, object)
    scoring = Signal(object, int, int)
    scoring_done = Signal(object, int)

    def __init__(self) -> None:
        super().__init__()
        self._model: Any = None
        self._ref: ModelRef | None = None
        self._stop = threading.Event()
        self._job: ScoreJob | None = None
        self._store: Any = None
        self._queue: list[tuple[int, Any]] = []
        self._offset = 0
        self._done = 0
        self._total = 0
        self._last_request = 0.0

    def stop(self) -> None:
        """Thread-safe: end background scoring at the next step (used at shutdown)."""
        self._stop.set()

    @Slot(object)
    def load(self, ref: ModelRef) -> None:
        if self._ref == ref and self._model is not None:
            self.loaded.emit(ref, "already loaded")
            return
        self._end_job()
        self._model, self._ref = None, ref
        started = time.perf_counter()
        try:
            from core.ml.base_models import quiet_transformers
            from core.ml.model import PolarityModel

            quiet_transformers()
            use_one_torch_thread()
            self._model = PolarityModel.load(ref.folder, device=ref.device)
        except Exception as exc:  # noqa: BLE001 - a bad model folder is reported, never fatal
            self._ref = None
            log.warning("model %s failed to load: %s", ref.folder, exc)
            self.load_failed.emit(ref, str(exc) or type(exc).__name__)
            return
        seconds = time.perf_counter() - started
        log.info("model %s loaded in %.2f s on %s", ref.name, seconds, self._model.device)
        self.loaded.emit(ref, f"{self._model.device}, loaded in {seconds:.1f} s")

    @Slot(object)
    def predict(self, key: PredictKey) -> None:
        self._last_request = time.monotonic()
        if self._model is None or self._ref is None or key.model != self._ref.key:
            return  # asked of a model that is no longer (or not yet) served; a newer request follows
        try:
            pred = self._model.predict_one(key.sentence, key.start, key.end)
        except Exception as exc:  # noqa: BLE001
            log.warning("prediction failed for %r: %s", key, exc)
            return
        self.predicted.emit(key, pred)

    @Slot(object)
    def score(self, job: ScoreJob) -> None:
        """Start storing predictions of ``job.ref`` (a registered version) for every term."""
        self._end_job()
        if self._model is None or self._ref != job.ref or job.ref.version_id is None:
            return
        from core.storage import Project

        try:
            self._store = Project.open(job.project, recover_runs=False)
        except Exception as exc:  # noqa: BLE001
            log.warning("cannot score %s: %s", job.project, exc)
            return
        self._job, self._queue, self._offset, self._done = job, [], 0, 0
        self._total = self._store.stats().terms
        QTimer.singleShot(0, self._score_step)

    @Slot()
    def _score_step(self) -> None:
        job = self._job
        if job is None or self._stop.is_set() or self._ref != job.ref:
            self._end_job()
            return
        if time.monotonic() - self._last_request < IDLE_BEFORE_SCORING_S:
            QTimer.singleShot(PAUSE_MS, self._score_step)  # the person is busy: their clicks come first
            return
        try:
            if not self._queue and not self._fill_queue():
                self._finish_job()
                return
            chunk, self._queue = self._queue[:SCORE_STEP], self._queue[SCORE_STEP:]
            preds = self._model.predict_proba([(s, a, b) for _tid, (s, a, b) in chunk])
            from core.ml.model import to_prediction

            self._store.store_predictions(job.ref.version_id, [(tid, to_prediction(p))
                                                               for (tid, _), p in zip(chunk, preds)])
            self._done += len(chunk)
            self.scoring.emit(job.ref, self._done, self._total)
        except Exception as exc:  # noqa: BLE001 - the store moved on (version deleted...): stop quietly
            log.warning("background scoring stopped: %s", exc)
            self._end_job()
            return
        QTimer.singleShot(0, self._score_step)

    def _fill_queue(self) -> bool:
        """Read the next sentences and queue their terms that have no prediction of this version."""
        from core.storage import SentenceFilter

        active = self._store.active_model()
        if active is None or active.id != self._job.ref.version_id:  # type: ignore[union-attr]
            return False
        while not self._queue:
            page = self._store.page(SentenceFilter(), offset=self._offset, limit=SCORE_PAGE)
            if not page:
                return False
            self._offset += len(page)
            for rec in page:
                for t in rec.terms:
                    if t.predicted is None:
                        self._queue.append((t.id, (rec.text, t.start, t.end)))
                    else:
                        self._done += 1
        return True

    def _finish_job(self) -> None:
        job, done = self._job, self._done
        self._end_job()
        if job is not None:
            self.scoring_done.emit(job.ref, done)

    def _end_job(self) -> None:
        self._job, self._queue = None, []
        if self._store is not None:
            self._store.close()
            self._store = None

    @Slot()
    def unload(self) -> None:
        """Serve nothing: stop scoring and free the model's memory."""
        self._end_job()
        self._model, self._ref = None, None

    @Slot()
    def shutdown(self) -> None:
        self.unload()


class PredictionService(QObject):
    """GUI-thread face of the engine: a cache, request signals, and answers as signals.

    ``state`` is "none" (no model), "loading", "ready" or "failed".
    """

    prediction = Signal(object, object)       # PredictKey, Prediction (only for the served model)
    state_changed = Signal(str, str)          # state, message for people
    scoring_progress = Signal(int, int)       # done, total
    scoring_finished = Signal(int)            # version id

    _post_load = Signal(object)
    _post_predict = Signal(object)
    _post_score = Signal(object)
    _post_unload = Signal()
    _post_shutdown = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread(self)
        self._thread.setObjectName("predictor")
        self._engine = PredictorEngine()
        self._engine.moveToThread(self._thread)
        self._post_load.connect(self._engine.load)
        self._post_predict.connect(self._engine.predict)
        self._post_score.connect(self._engine.score)
        self._post_unload.connect(self._engine.unload)
        self._post_shutdown.connect(self._engine.shutdown)
        self._engine.loaded.connect(self._on_loaded)
        self._engine.load_failed.connect(self._on_load_failed)
        self._engine.predicted.connect(self._on_predicted)
        self._engine.scoring.connect(self._on_scoring)
        self._engine.scoring_done.connect(self._on_scoring_done)
        self._thread.finished.connect(self._engine.deleteLater)
        self._thread.start()
        self._cache: dict[PredictKey, Prediction] = {}
        self._ref: ModelRef | None = None
        self._project: str | None = None
        self.state = "none"
        self.message = "No model yet"

    # ---- model -------------------------------------------------------------------------------
    @property
    def model(self) -> ModelRef | None:
        return self._ref

    def set_model(self, ref: ModelRef | None, project: str | None = None, why_none: str = "") -> None:
        """Serve ``ref`` (loading it on the predictor thread) or nothing; then score ``project``."""
        self._project = project
        if ref == self._ref and self.state in ("loading", "ready"):
            if self.state == "ready":
                self._start_scoring()
            return
        self._ref = ref
        if ref is None:
            self._post_unload.emit()
            self._set_state("none", why_none or "No model yet")
            return
        self._set_state("loading", f"Loading {ref.name}…")
        self._post_load.emit(ref)

    def _start_scoring(self) -> None:
        if self._ref is not None and self._ref.version_id is not None and self._project:
            self._post_score.emit(ScoreJob(self._ref, self._project))

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
            self._post_predict.emit(key)
        return hit

    def _put(self, key: PredictKey, pred: Prediction) -> None:
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = pred

    # ---- engine answers (queued into the GUI thread) ---------------------------------------------
    @Slot(object, str)
    def _on_loaded(self, ref: ModelRef, message: str) -> None:
        if ref != self._ref:
            return
        self._set_state("ready", f"{ref.name} ({message})")
        self._start_scoring()

    @Slot(object, str)
    def _on_load_failed(self, ref: ModelRef, message: str) -> None:
        if ref == self._ref:
            self._set_state("failed", f"{ref.name} could not be loaded: {message}")

    @Slot(object, object)
    def _on_predicted(self, key: PredictKey, pred: Prediction) -> None:
        self._put(key, pred)
        if self._ref is not None and key.model == self._ref.key:
            self.prediction.emit(key, pred)

    @Slot(object, int, int)
    def _on_scoring(self, ref: ModelRef, done: int, total: int) -> None:
        if ref == self._ref:
            self.scoring_progress.emit(done, total)

    @Slot(object, int)
    def _on_scoring_done(self, ref: ModelRef, done: int) -> None:
        if ref == self._ref and ref.version_id is not None:
            self.scoring_finished.emit(ref.version_id)

    def _set_state(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self.state_changed.emit(state, message)

    # ---- shutdown ----------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Stop scoring, let a running load finish, quit the thread and wait; never terminate."""
        if not shiboken6.isValid(self._thread) or not self._thread.isRunning():
            return True
        self._engine.stop()
        self._post_shutdown.emit()
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            return False
        try:
            self._engine.unload()  # its thread has ended: closing its store connection here is safe
        except RuntimeError:  # already deleted (deleteLater on the thread's end)
            pass
        return True


def model_ref_for(version: Any, project: str, device: str = "auto") -> ModelRef:
    """A ModelRef for a registered ``ModelVersionRecord`` of ``project``."""
    note = "starter" if "starter" in str((version.metrics or {}).get("note", "")) else version.engine
    return ModelRef(f"v{version.id}@{project}", version.folder, version.id, f"v{version.id} · {note}", device)


def starter_ref(folder: Path, device: str = "auto") -> ModelRef:
    return ModelRef(f"starter@{folder}", str(folder), None, "starter model", device)
