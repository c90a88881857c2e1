"""Model versions, their stored predictions, and training runs.

A version is registered only after its folder is completely written (``PolarityModel.save`` is
atomic); activating it is a separate, single transaction that also re-points the prediction cache
of every term to the newest prediction of that version.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path
from typing import Any, Sequence

from sqlalchemy import bindparam, delete, select, update

from core.domain import Prediction
from core.storage.base import StoreBase, run_record, stamp
from core.storage.bulk import insert_rows
from core.storage.errors import StoreError
from core.storage.records import RUN_STATUSES, ModelVersionRecord, TrainingRunRecord
from core.storage.schema import Label, ModelVersion, Term, TrainingRun, refresh_uncertainty, utcnow

_live_lock = threading.Lock()
_LIVE_RUNS: set[tuple[str, int]] = set()  # (project location, run id) running in this process
UNFINISHED = ("queued", "running")
_HOST = socket.gethostname()


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - os.kill(pid, 0) would send CTRL_C there
        import ctypes
        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ModelsMixin(StoreBase):
    location: str

    # -- versions ----------------------------------------------------------------------------------

    def models(self) -> list[ModelVersionRecord]:
        """All model versions, oldest first."""
        with self._read() as s:
            return [self._model_record(r) for r in s.scalars(select(ModelVersion).order_by(ModelVersion.id))]

    def get_model(self, version_id: int) -> ModelVersionRecord | None:
        with self._read() as s:
            row = s.get(ModelVersion, version_id)
            return self._model_record(row) if row is not None else None

    def active_model(self) -> ModelVersionRecord | None:
        with self._read() as s:
            row = s.scalar(select(ModelVersion).where(ModelVersion.active.is_(True)))
            return self._model_record(row) if row is not None else None

    def new_model_folder(self, run_id: int | None = None) -> Path:
        """A fresh folder name under ``models_dir`` (not created: ``PolarityModel.save`` makes it)."""
        return self._fresh_folder(run_id, "", "model")

    def register_model(self, folder: str | Path, engine: str, base_model: str, config: dict[str, Any],
                       metrics: dict[str, Any], n_labels: int, activate: bool = True) -> ModelVersionRecord:
        """Record a model folder that is completely written; make it the active one if ``activate``."""
        path = Path(folder)
        if not path.is_dir():
            raise StoreError(f"{path}: model folder does not exist")
        with self._write() as s:
            row = ModelVersion(folder=self._stored_folder(path), engine=engine, base_model=base_model,
                               config=config, metrics=metrics, n_labels=n_labels, created_at=utcnow(), active=False)
            s.add(row)
            s.flush()
            if activate:
                self._activate(s, row.id)
                s.refresh(row)
            return self._model_record(row)

    def activate(self, version_id: int) -> ModelVersionRecord:
        """Make an earlier (or any) version the active one: rollback."""
        with self._write() as s:
            row = s.get(ModelVersion, version_id)
            if row is None:
                raise StoreError(f"no model version {version_id}")
            if not self._absolute_folder(row.folder).is_dir():
                raise StoreError(f"model version {version_id}: its folder {self._absolute_folder(row.folder)} is gone")
            self._activate(s, version_id)
            s.refresh(row)
            return self._model_record(row)

    def delete_model(self, version_id: int) -> None:
        """Remove a version, its stored predictions and its folder (never the active version)."""
        with self._write() as s:
            row = s.get(ModelVersion, version_id)
            if row is None:
                raise StoreError(f"no model version {version_id}")
            if row.active:
                raise StoreError(f"model version {version_id} is active; activate another version first")
            folder = self._absolute_folder(row.folder)
            s.execute(delete(Label).where(Label.model_version_id == version_id, Label.source == "model"))
            s.execute(update(TrainingRun).where(TrainingRun.model_version_id == version_id)
                      .values(model_version_id=None))
            s.execute(delete(ModelVersion).where(ModelVersion.id == version_id))
        # After the commit: a folder left behind by a failed removal is harmless, a row without one is not.
        if folder.is_dir() and folder.resolve().is_relative_to(self.models_dir.resolve()):
            shutil.rmtree(folder, ignore_errors=True)

    def _activate(self, s: Any, version_id: int) -> None:
        s.execute(update(ModelVersion).where(ModelVersion.active.is_(True)).values(active=False))
        s.execute(update(ModelVersion).where(ModelVersion.id == version_id).values(active=True))
        s.execute(update(Term).where(Term.pred_label.is_not(None)).values(
            pred_label=None, pred_confidence=None, pred_p_negative=None, pred_p_neutral=None, pred_p_positive=None))
        newest: dict[int, Any] = {}
        for r in s.execute(select(Label.term_id, Label.polarity, Label.confidence, Label.p_negative,
                                  Label.p_neutral, Label.p_positive)
                           .where(Label.model_version_id == version_id, Label.source == "model").order_by(Label.id)):
            newest[r.term_id] = r
        self._write_cache(s, [{"tid": t, "pl": r.polarity, "pc": r.confidence, "pn": r.p_negative,
                               "pu": r.p_neutral, "pp": r.p_positive} for t, r in newest.items()])
        refresh_uncertainty(s.connection())

    @staticmethod
    def _write_cache(s: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            s.connection().execute(
                update(Term).where(Term.id == bindparam("tid")).values(
                    pred_label=bindparam("pl"), pred_confidence=bindparam("pc"), pred_p_negative=bindparam("pn"),
                    pred_p_neutral=bindparam("pu"), pred_p_positive=bindparam("pp")), rows)

    # -- predictions -------------------------------------------------------------------------------

    def store_predictions(self, version_id: int, predictions: Sequence[tuple[int, Prediction]]) -> int:
        """Append a prediction row per (term id, prediction); the app shows them if the version is active."""
        rows, cache = [], []
        for term_id, p in predictions:
            probs = tuple(float(x) for x in p.probabilities)
            rows.append({"term_id": term_id, "polarity": p.label.value, "source": "model", "action": "set",
                         "confidence": max(probs), "p_negative": probs[0], "p_neutral": probs[1],
                         "p_positive": probs[2], "model_version_id": version_id, "created_at": None})
            cache.append({"tid": term_id, "pl": p.label.value, "pc": max(probs), "pn": probs[0],
                          "pu": probs[1], "pp": probs[2]})
        with self._write() as s:
            now = stamp(s.connection())  # under the write lock, like every label row
            for r in rows:
                r["created_at"] = now
            row = s.get(ModelVersion, version_id)
            if row is None:
                raise StoreError(f"no model version {version_id}")
            if rows:
                insert_rows(s.connection(), Label.__table__, rows)
                if row.active:
                    self._write_cache(s, cache)
                    term_ids = sorted({c["tid"] for c in cache})
                    if len(term_ids) > 5000:  # one pass over all sentences is cheaper than many lookups
                        refresh_uncertainty(s.connection())
                    else:
                        for i in range(0, len(term_ids), 500):
                            refresh_uncertainty(s.connection(), select(Term.sentence_id).where(
                                Term.id.in_(term_ids[i:i + 500])))
        return len(rows)

    # -- training runs -----------------------------------------------------------------------------

    def start_run(self, config: dict[str, Any], status: str = "running") -> TrainingRunRecord:
        """Record that this process starts training (a crash leaves it to ``recover_runs``)."""
        if status not in UNFINISHED:
            raise ValueError(f"a run starts as one of {UNFINISHED}")
        with self._write() as s:
            row = TrainingRun(status=status, started_at=utcnow(), config=config, pid=os.getpid(), host=_HOST)
            s.add(row)
            s.flush()
            with _live_lock:
                _LIVE_RUNS.add((self.location, row.id))
            return run_record(row)

    def finish_run(self, run_id: int, status: str, error: str | None = None, metrics: dict[str, Any] | None = None,
                   model_version_id: int | None = None) -> TrainingRunRecord:
        if status not in RUN_STATUSES or status in UNFINISHED:
            raise ValueError(f"a run finishes as succeeded, failed or cancelled, not {status!r}")
        try:
            with self._write() as s:
                row = s.get(TrainingRun, run_id)
                if row is None:
                    raise StoreError(f"no training run {run_id}")
                row.status, row.finished_at, row.error = status, utcnow(), error
                if metrics is not None:
                    row.metrics = metrics
                if model_version_id is not None:
                    row.model_version_id = model_version_id
                s.flush()
                return run_record(row)
        finally:
            with _live_lock:
                _LIVE_RUNS.discard((self.location, run_id))

    def runs(self) -> list[TrainingRunRecord]:
        """All training runs, newest first."""
        with self._read() as s:
            return [run_record(r) for r in s.scalars(select(TrainingRun).order_by(TrainingRun.id.desc()))]

    def get_run(self, run_id: int) -> TrainingRunRecord | None:
        with self._read() as s:
            row = s.get(TrainingRun, run_id)
            return run_record(row) if row is not None else None

    def recover_runs(self) -> list[TrainingRunRecord]:
        """Mark failed the runs left unfinished by a process that is gone; return them."""
        with self._read() as s:
            if not s.scalar(select(TrainingRun.id).where(TrainingRun.status.in_(UNFINISHED)).limit(1)):
                return []
        recovered, live = [], False
        with self._write() as s:
            for row in s.scalars(select(TrainingRun).where(TrainingRun.status.in_(UNFINISHED))):
                if not self._orphaned(row):
                    live = True
                    continue
                row.status, row.finished_at = "failed", utcnow()
                row.error = (f"interrupted: the process that ran it (pid {row.pid} on {row.host}) ended before it "
                             "finished; the previously active model was kept")
                s.flush()
                recovered.append(run_record(row))
        if recovered and not live:
            self.remove_partial_model_folders()
        return recovered

    def remove_partial_model_folders(self) -> list[Path]:
        """Delete the temporary folders a killed ``PolarityModel.save`` left in the models folder.

        Called only when no run is unfinished (nothing can be writing one): a save writes to a
        hidden ``.<name>.tmp-<hex>`` sibling and renames it when complete, so such a folder is
        never a model and would otherwise hold hundreds of MB for good."""
        removed = []
        for tmp in sorted(self.models_dir.glob(".*.tmp-*")) if self.models_dir.is_dir() else []:
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)
                removed.append(tmp)
        return removed

    def _orphaned(self, row: TrainingRun) -> bool:
        if row.pid is None:
            return True
        if row.host and row.host != _HOST:
            return False  # cannot tell whether a process on another machine is alive
        if row.pid == os.getpid():
            with _live_lock:
                return (self.location, row.id) not in _LIVE_RUNS
        return not pid_alive(row.pid)
