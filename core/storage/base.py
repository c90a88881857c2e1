"""What every part of the repository shares: the engine, short transactions, row -> record.

Each public method runs in one ``with self._read()`` or ``with self._write()`` block and returns
frozen records built inside it, so no ORM object outlives its session.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.orm import Session

from core.domain import Polarity
from core.storage.db import reader, writer
from core.storage.records import LabelEvent, ModelVersionRecord, TermRecord, TrainingRunRecord
from core.storage.schema import Label, ModelVersion, Term, TrainingRun, utcnow

TERM_COLUMNS = (Term.id, Term.sentence_id, Term.start, Term.end, Term.category, Term.current_label,
                Term.current_source, Term.pred_label, Term.pred_confidence, Term.pred_p_negative,
                Term.pred_p_neutral, Term.pred_p_positive)


def polarity(value: str | None) -> Polarity | None:
    return Polarity(value) if value is not None else None


def term_record(row: Row[Any] | Any, sentence_text: str) -> TermRecord:
    """From a row of ``TERM_COLUMNS`` (or a Term object) and its sentence's text."""
    probs = None
    if row.pred_p_negative is not None:
        probs = (float(row.pred_p_negative), float(row.pred_p_neutral), float(row.pred_p_positive))
    return TermRecord(id=row.id, sentence_id=row.sentence_id, start=row.start, end=row.end,
                      text=sentence_text[row.start:row.end], category=row.category,
                      label=polarity(row.current_label), label_source=row.current_source,
                      predicted=polarity(row.pred_label), confidence=row.pred_confidence, probabilities=probs)


def label_event(row: Label, sentence_id: int | None = None) -> LabelEvent:
    return LabelEvent(id=row.id, term_id=row.term_id, polarity=polarity(row.polarity), source=row.source,
                      confidence=row.confidence, model_version_id=row.model_version_id,
                      created_at=row.created_at, author=row.author, action=row.action, sentence_id=sentence_id)


def stamp(conn: Connection) -> datetime:
    """The time to record on label rows written in this (write) transaction.

    On a server it is the server's clock, read under the write lock: one clock for every annotator
    whatever their machines' clocks say, so ``created_at`` grows with ``id`` and "newest" means the
    same by (created_at, id) as by id. A project file has one writer machine: its clock.
    """
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT clock_timestamp()").scalar_one()
    return utcnow()


def run_record(row: TrainingRun) -> TrainingRunRecord:
    return TrainingRunRecord(id=row.id, status=row.status, started_at=row.started_at, finished_at=row.finished_at,
                             error=row.error, config=dict(row.config or {}),
                             metrics=dict(row.metrics) if row.metrics is not None else None,
                             model_version_id=row.model_version_id)


class StoreBase:
    """Engine, transactions and the project's folders."""

    _engine: Engine
    _reader: Engine
    _writer: Engine
    project_dir: Path
    models_dir: Path
    author: str | None = None  # recorded on the labels this Project writes, unless a call names another

    def _init_engine(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader(engine)
        self._writer = writer(engine)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """One read transaction: a consistent snapshot on both databases."""
        with Session(self._reader) as session, session.begin():
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction; it takes the write lock at its start (SQLite: BEGIN IMMEDIATE;
        PostgreSQL: an advisory lock, see ``core.storage.db``)."""
        with Session(self._writer) as session, session.begin():
            yield session

    # -- model folders ---------------------------------------------------------------------------

    def _stored_folder(self, folder: str | Path) -> str:
        """A folder inside the project folder is stored relative to it, so the project can move."""
        path = Path(folder).resolve()
        try:
            return path.relative_to(self.project_dir.resolve()).as_posix()
        except ValueError:
            return str(path)

    def _fresh_folder(self, run_id: int | None, prefix: str, plain: str) -> Path:
        """An unused folder name under ``models_dir`` (not created: the model's save makes it):
        ``{prefix}run{id}-{time}``, or ``{plain}-{time}`` outside a run; ``-2``, ``-3`` if taken."""
        when = utcnow().strftime("%Y%m%d-%H%M%S")
        base = f"{prefix}run{run_id}-{when}" if run_id is not None else f"{plain}-{when}"
        folder, n = self.models_dir / base, 1
        while folder.exists():
            n += 1
            folder = self.models_dir / f"{base}-{n}"
        return folder

    def _absolute_folder(self, stored: str) -> Path:
        path = Path(stored)
        return path if path.is_absolute() else self.project_dir / path

    def _model_record(self, row: ModelVersion) -> ModelVersionRecord:
        return ModelVersionRecord(id=row.id, folder=str(self._absolute_folder(row.folder)), engine=row.engine,
                                  base_model=row.base_model, config=dict(row.config or {}),
                                  metrics=dict(row.metrics or {}), n_labels=row.n_labels,
                                  created_at=row.created_at, active=bool(row.active))

    @staticmethod
    def _active_version_id(session: Session) -> int | None:
        return session.scalar(select(ModelVersion.id).where(ModelVersion.active.is_(True)))
