"""ORM models of a project (SQLAlchemy 2.0, typed ``Mapped[...]``).

Changing anything here changes the schema: add a ``MigrationToN`` step in ``migrations.py``,
bump ``SCHEMA_VERSION``, and keep the DDL of the released version in the migration tests.

The label history (``labels``) is the source of truth. The ``current_*`` and ``pred_*`` columns
of ``terms`` cache the newest edit row (human, import, adjudication, accepted prediction) and the
newest row of the active model; they are
written in the same transaction as the history row, so they never disagree with it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, and_, bindparam, case, func, select, update, Boolean, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, aliased, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC (SQLite keeps no time zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None else None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the file itself; ``schema_version`` lives here."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Setting(Base):
    """Project settings (JSON values), e.g. the training options a person last chose."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Sentence(Base):
    __tablename__ = "sentences"
    # One row per (text, external id). PostgreSQL cannot put a long text into a b-tree entry
    # (about 2.7 kB; a long review or ticket fails the insert), so there the unique index is on
    # md5(text) and lookups go through ``sentence_lookup``; SQLite keys the text itself.
    __table_args__ = (UniqueConstraint("text", "external_id", name="uq_sentences_text_external_id")
                      .ddl_if(dialect="sqlite"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    # File name the sentence was first imported from ("" when typed in the app).
    source: Mapped[str] = mapped_column(String(512), default="")
    # The id the source file gives the sentence (SemEval XML); "" when it has none.
    external_id: Mapped[str] = mapped_column(String(256), default="")
    # Order of first appearance inside its source file.
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Cache: the lowest prediction confidence among its unlabeled terms (None: no such term), so
    # the "least confident" page is an index walk. Kept by ``refresh_uncertainty``.
    min_confidence: Mapped[float | None] = mapped_column(Float, default=None)


Index("uq_sentences_md5_external_id", func.md5(Sentence.text), Sentence.external_id,
      unique=True).ddl_if(dialect="postgresql")


def sentence_lookup(dialect: str, texts: list[str]) -> Any:
    """The condition "the sentence's text is one of ``texts``", in the form its database's unique
    index answers (exact texts on SQLite; their md5 on PostgreSQL, checked exactly by the caller)."""
    if dialect == "postgresql":
        return func.md5(Sentence.text).in_([hashlib.md5(t.encode("utf-8")).hexdigest() for t in texts])
    return Sentence.text.in_(texts)


class Term(Base):
    __tablename__ = "terms"
    __table_args__ = (
        # A term is a span with a category: the seed data and SemEval-2016 give one span several
        # (category, polarity) pairs, e.g. "food" FOOD#QUALITY positive, FOOD#PRICES negative.
        UniqueConstraint("sentence_id", "start", "end", "category", name="uq_terms_span_category"),
        CheckConstraint('"start" >= 0 AND "end" > "start"', name="ck_terms_span"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Cache of the newest edit row: human, import, adjudication or accepted-prediction (None: unlabeled
    # or cleared). 32 wide since schema version 3 ("accepted-prediction" has 19 letters).
    current_label: Mapped[str | None] = mapped_column(String(16), default=None)
    current_source: Mapped[str | None] = mapped_column(String(32), default=None)
    # Cache of the newest prediction row of the active model version.
    pred_label: Mapped[str | None] = mapped_column(String(16), default=None)
    pred_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    pred_p_negative: Mapped[float | None] = mapped_column(Float, default=None)
    pred_p_neutral: Mapped[float | None] = mapped_column(Float, default=None)
    pred_p_positive: Mapped[float | None] = mapped_column(Float, default=None)
    # Cache (schema version 3): True when the annotators' own newest labels of the term differ, else
    # None, so the "annotators disagree" filter is an index walk. Kept by ``refresh_disputed``.
    disputed: Mapped[bool | None] = mapped_column(Boolean, default=None)


# Conditions of the app's filters, shared by the partial indexes below and the queries
# (core/storage/queries.py). Each index lists the columns its condition reads, so it covers
# the query; none has an equality on current_label (the planner, lacking statistics, would
# take any such index for the most selective one and sort).
UNLABELED = Term.current_label.is_(None)
LABELED = Term.current_label.is_not(None)
DISAGREES = and_(Term.current_label.is_not(None), Term.pred_label.is_not(None), Term.pred_label != Term.current_label)
UNCERTAIN = and_(Term.current_label.is_(None), Term.pred_confidence.is_not(None))
DISPUTED = Term.disputed.is_(True)


def _margin() -> Any:
    """The gap between a term's two likeliest (calibrated) labels: the "least confident first"
    order asks for the smallest first. Measured (benchmarks/bench_active.py, SemEval-14
    restaurants, 3 seeds, labels to reach 95 % of the all-labels accuracy): smallest margin 300
    with calibrated picks (active-cpu.json) and 267 uncalibrated (active-t1-cpu.json), against
    367 / 467 for the lowest top probability and 400 / 300 for entropy: the best uncertainty
    order, and the highest mean accuracy at 200-300 labels in both runs. Random picks took 267 in
    both: no order beat random by the issue's 25 %.
    Portable SQL (SQLite and PostgreSQL): top + bottom found by CASE, second = sum - top - bottom."""
    a, b, c = Term.pred_p_negative, Term.pred_p_neutral, Term.pred_p_positive
    top = case((and_(a >= b, a >= c), a), (b >= c, b), else_=c)
    bottom = case((and_(a <= b, a <= c), a), (b <= c, b), else_=c)
    # A term whose probabilities are missing (none are written without them) ranks by confidence.
    return func.coalesce(top - (a + b + c - top - bottom), Term.pred_confidence)


MARGIN = _margin()


def _partial(name: str, where: Any, *columns: Any) -> Index:
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


def refresh_uncertainty(conn: Any, sentence_ids: Any = None) -> None:
    """Recompute ``sentences.min_confidence`` for these sentence ids (a list, or a select of them),
    or for every sentence when None. Call it in the transaction that changed labels or predictions.
    It caches the smallest ``MARGIN`` of the sentence's unlabeled terms (the column keeps its
    name: the order it serves is still "least confident first")."""
    lowest = select(func.min(MARGIN)).where(Term.sentence_id == Sentence.id, UNCERTAIN)
    statement = update(Sentence).values(min_confidence=lowest.scalar_subquery())
    if sentence_ids is None:
        conn.execute(statement)
    elif isinstance(sentence_ids, (list, tuple, set)):
        ids = sorted(set(sentence_ids))
        for i in range(0, len(ids), 500):
            conn.execute(statement.where(Sentence.id.in_(ids[i:i + 500])))
    else:
        conn.execute(statement.where(Sentence.id.in_(sentence_ids)))


# "labeled" in sentence order; one label (and counts per label) by label.
_partial("ix_terms_labeled", LABELED, Term.sentence_id, Term.current_label)
_partial("ix_terms_by_label", LABELED, Term.current_label, Term.sentence_id)
# "unlabeled" in sentence order; unlabeled with a predicted label.
_partial("ix_terms_unlabeled", UNLABELED, Term.sentence_id, Term.current_label)
_partial("ix_terms_unlabeled_pred", UNLABELED, Term.pred_label, Term.sentence_id, Term.current_label)
# "disagree" in sentence order.
_partial("ix_terms_disagree", DISAGREES, Term.sentence_id, Term.current_label, Term.pred_label)
# "annotators_disagree" in sentence order (team review).
_partial("ix_terms_disputed", DISPUTED, Term.sentence_id, Term.current_label)
# "least_confident": sentences by their cached smallest margin; with a label, terms are walked
# in confidence order (and counted in sentence order).
Index("ix_sentences_uncertain", Sentence.min_confidence, Sentence.id,
      sqlite_where=Sentence.min_confidence.is_not(None), postgresql_where=Sentence.min_confidence.is_not(None))
_partial("ix_terms_uncertain", UNCERTAIN, Term.sentence_id, Term.current_label, Term.pred_confidence,
         Term.pred_label)
_partial("ix_terms_uncertain_order", UNCERTAIN, Term.pred_label, Term.pred_confidence, Term.sentence_id,
         Term.current_label)


# Label sources of team review (schema version 3): a reviewer's final label on a term the annotators
# disagree on, and a model prediction a person accepted in bulk (one ``ReviewBatch`` per accept).
ADJUDICATION = "adjudication"
ACCEPTED = "accepted-prediction"


class ReviewBatch(Base):
    """One bulk accept of confident predictions: its label rows carry its id, so one undo takes
    them all back. Rows here are never changed; an undone batch is known by its undo rows."""

    __tablename__ = "review_batches"
    __table_args__ = (CheckConstraint("kind IN ('accepted-prediction')", name="ck_review_batches_kind"),
                      {"sqlite_autoincrement": True})  # ids never reused: "undo batch 3" stays unambiguous

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    author: Mapped[str | None] = mapped_column(String(128), default=None)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), default=None)
    min_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Label(Base):
    """Append-only label history: human labels, imported labels, model predictions, undo/redo,
    adjudications and accepted predictions (schema version 3)."""

    __tablename__ = "labels"
    __table_args__ = (
        CheckConstraint("source IN ('human', 'import', 'model', 'adjudication', 'accepted-prediction')",
                        name="ck_labels_source"),
        CheckConstraint("action IN ('set', 'undo', 'redo')", name="ck_labels_action"),
        Index("ix_labels_term", "term_id", "id"),
        Index("ix_labels_model_version", "model_version_id", "term_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id", ondelete="CASCADE"))
    polarity: Mapped[str | None] = mapped_column(String(16), default=None)  # None: cleared
    source: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(8), default="set")
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    p_negative: Mapped[float | None] = mapped_column(Float, default=None)
    p_neutral: Mapped[float | None] = mapped_column(Float, default=None)
    p_positive: Mapped[float | None] = mapped_column(Float, default=None)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[str | None] = mapped_column(String(128), default=None)
    # The bulk accept that wrote this row (and the rows that undid it); None for every other row.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("review_batches.id"), default=None)


# Edits (human and imported labels) by id: what ``Project.latest_event_id`` / ``changes_since``
# read when the app polls for other annotators' labels (schema version 2). Prediction rows are
# left out: there may be millions of them, and they are deleted with their model version.
EDITS = Label.source != "model"
Index("ix_labels_edits", Label.id, sqlite_where=EDITS, postgresql_where=EDITS)
# Version 3: the newest adjudication of a term (training snapshot, export) and a batch's rows (undo).
IS_ADJUDICATION = Label.source == ADJUDICATION
Index("ix_labels_adjudication", Label.term_id, Label.id, sqlite_where=IS_ADJUDICATION,
      postgresql_where=IS_ADJUDICATION)
Index("ix_labels_batch", Label.batch_id, Label.term_id, sqlite_where=Label.batch_id.is_not(None),
      postgresql_where=Label.batch_id.is_not(None))


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused: "activate 3" stays unambiguous

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Relative to the project folder when inside it (the project can be moved), else absolute.
    folder: Mapped[str] = mapped_column(String(1024), unique=True)
    engine: Mapped[str] = mapped_column(String(32))
    base_model: Mapped[str] = mapped_column(String(512))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    n_labels: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


# At most one active version, enforced by the database itself.
Index("uq_model_versions_one_active", ModelVersion.active, unique=True,
      sqlite_where=ModelVersion.active.is_(True), postgresql_where=ModelVersion.active.is_(True))


class TrainingRun(Base):
    __tablename__ = "training_runs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
                        name="ck_training_runs_status"),
        Index("ix_training_runs_status", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), default=None)
    # Which process runs it: a run left "running" by a process that is gone is marked failed.
    pid: Mapped[int | None] = mapped_column(Integer, default=None)
    host: Mapped[str | None] = mapped_column(String(255), default=None)


# Annotators' labels are their human and imported rows; rows without an author belong to nobody.
ANNOTATOR_SOURCES = ("human", "import")


def disputed_ids(some: bool) -> Any:
    """Ids of the terms (of the expanding parameter ``ids`` when ``some``, else all) whose annotators'
    own newest labels differ. A join over the newest rows, not a subquery per term: PostgreSQL would
    rescan the labels for each term."""
    mine = aliased(Label, name="mine")
    newest = (select(mine.term_id, func.max(mine.id).label("id"))
              .where(mine.source.in_(ANNOTATOR_SOURCES), mine.author.is_not(None))
              .group_by(mine.term_id, mine.author))
    if some:
        newest = newest.where(mine.term_id.in_(bindparam("ids", expanding=True)))
    rows = newest.subquery("newest")
    return (select(rows.c.term_id).join(Label, Label.id == rows.c.id).where(Label.polarity.is_not(None))
            .group_by(rows.c.term_id).having(func.count(func.distinct(Label.polarity)) > 1))


# Built once: building the alias on every label write cost more than running the queries.
_FIND_SOME, _FIND_ALL = disputed_ids(True), disputed_ids(False)
_CLEAR_SOME = update(Term).where(Term.disputed.is_(True), Term.id.in_(bindparam("ids", expanding=True))).values(
    disputed=None)
_CLEAR_ALL = update(Term).where(Term.disputed.is_(True)).values(disputed=None)
_MARK = update(Term).where(Term.id.in_(bindparam("ids", expanding=True))).values(disputed=True)


def refresh_disputed(conn: Any, term_ids: Any = None) -> None:
    """Recompute ``terms.disputed`` for these term ids (a list), or every term when None. Call it in
    the transaction that wrote annotators' label rows."""
    if term_ids is None or len(term_ids) > 5000:  # one pass over all labels is cheaper than many lookups
        found = list(conn.execute(_FIND_ALL).scalars())
        conn.execute(_CLEAR_ALL)
    else:
        ids, found = sorted(set(term_ids)), []
        for i in range(0, len(ids), 500):
            found += conn.execute(_FIND_SOME, {"ids": ids[i:i + 500]}).scalars()
            conn.execute(_CLEAR_SOME, {"ids": ids[i:i + 500]})
    for i in range(0, len(found), 500):
        conn.execute(_MARK, {"ids": found[i:i + 500]})
