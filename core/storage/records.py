"""Frozen records the repository returns. ORM objects never leave their session; these do.

They are plain values: safe to hand to a widget, another thread, or ``json.dumps`` via ``asdict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from core.domain import Polarity

LabelSource = Literal["human", "import", "model", "adjudication", "accepted-prediction"]
RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FilterKind = Literal["all", "unlabeled", "labeled", "disagree", "least_confident", "annotators_disagree", "accepted"]

LABEL_SOURCES: tuple[str, ...] = ("human", "import", "model", "adjudication", "accepted-prediction")
RUN_STATUSES: tuple[str, ...] = ("queued", "running", "succeeded", "failed", "cancelled")
FILTER_KINDS: tuple[str, ...] = ("all", "unlabeled", "labeled", "disagree", "least_confident",
                                 "annotators_disagree", "accepted")


@dataclass(frozen=True)
class TermRecord:
    """A term with its current label (newest human/import row) and the active model's prediction."""

    id: int
    sentence_id: int
    start: int
    end: int
    text: str
    category: str
    label: Polarity | None
    label_source: str | None
    predicted: Polarity | None
    confidence: float | None
    probabilities: tuple[float, float, float] | None

    @property
    def disagrees(self) -> bool:
        return self.label is not None and self.predicted is not None and self.label != self.predicted


@dataclass(frozen=True)
class SentenceRecord:
    id: int
    text: str
    source: str
    external_id: str | None
    position: int
    terms: tuple[TermRecord, ...] = ()
    # (document id, 0-based position in it) for a sentence split from raw text; None otherwise.
    document: tuple[str, int] | None = None


@dataclass(frozen=True)
class LabelEvent:
    """One row of a term's label history. ``polarity`` None means the label was cleared.

    ``action`` is "set" for a new label, "undo" / "redo" for rows written by undo and redo.
    ``author`` is who wrote it (None for model predictions and rows written before authors were
    recorded); ``sentence_id`` is filled in by ``Project.changes_since`` so the app knows what to reload.
    """

    id: int
    term_id: int
    polarity: Polarity | None
    source: str
    confidence: float | None
    model_version_id: int | None
    created_at: datetime
    author: str | None = None
    action: str = "set"
    sentence_id: int | None = None


@dataclass(frozen=True)
class ModelVersionRecord:
    id: int
    folder: str  # absolute path of the model folder
    engine: str
    base_model: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    n_labels: int
    created_at: datetime
    active: bool


@dataclass(frozen=True)
class TrainingRunRecord:
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    config: dict[str, Any]
    metrics: dict[str, Any] | None
    model_version_id: int | None


@dataclass(frozen=True)
class ProjectStats:
    sentences: int
    terms: int
    labeled: int
    per_label: dict[str, int]
    models: int
    active_model: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"sentences": self.sentences, "terms": self.terms, "labeled": self.labeled,
                "per_label": dict(self.per_label), "models": self.models, "active_model": self.active_model}


@dataclass(frozen=True)
class SentenceFilter:
    """Which sentences a page shows. Conditions hold for one and the same term of the sentence.

    kind: "all"; "unlabeled" (a term without a label); "labeled" (a labeled
    term); "disagree" (a labeled term the active model predicts otherwise); "least_confident"
    (unlabeled terms with a prediction, the sentence with the least confident one first);
    "annotators_disagree" (a term whose annotators' own newest labels differ, adjudicated or not);
    "accepted" (a term whose current label is an accepted prediction).
    label: the term's current label; for "unlabeled" / "least_confident", its predicted label.
    text: case-insensitive substring of the sentence.
    """

    kind: FilterKind = "all"
    label: Polarity | None = None
    text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FILTER_KINDS:
            raise ValueError(f"unknown filter kind {self.kind!r} (expected one of {', '.join(FILTER_KINDS)})")
        if self.label is not None and not isinstance(self.label, Polarity):
            object.__setattr__(self, "label", Polarity.parse(str(self.label)))


@dataclass(frozen=True)
class ImportReport:
    sentences_added: int = 0
    terms_added: int = 0
    labels_added: int = 0
    skipped_conflict: int = 0
    skipped_mismatch: int = 0
    # Rows whose label differed from a label a person gave in the app: the person's label is kept.
    kept_human: int = 0
    format: str = ""
    rows: int = 0
    # Rows repeating an earlier row's term (same sentence, span and category) and, of those, how many
    # give it another label (the file's later label is the one imported).
    duplicates: int = 0
    conflicts_in_file: int = 0
    warnings: tuple[str, ...] = field(default=())
    # Raw text: documents read (rows of the file with a text) and rows skipped for an empty text.
    documents: int = 0
    skipped_empty: int = 0


@dataclass(frozen=True)
class AnnotatorLabel:
    """One annotator's own newest label of a term (their newest human or imported row)."""

    author: str
    polarity: Polarity | None  # None: they cleared it
    source: str
    label_id: int
    created_at: datetime


@dataclass(frozen=True)
class TermReview:
    """What the sentence view shows for a term in review: each annotator's label and the verdict.

    ``final`` is what training and export use: the newest adjudication, else the current label.
    """

    term_id: int
    annotators: tuple[AnnotatorLabel, ...]
    current: Polarity | None
    adjudicated: Polarity | None
    adjudicated_by: str | None
    final: Polarity | None

    @property
    def disagree(self) -> bool:
        return len({a.polarity for a in self.annotators if a.polarity is not None}) > 1


@dataclass(frozen=True)
class AcceptReport:
    """A bulk accept of confident predictions (or what it would do, ``dry_run``)."""

    batch_id: int | None  # None on a dry run or when nothing qualified
    accepted: int
    per_label: dict[str, int]
    min_confidence: float
    model_version_id: int
    dry_run: bool


@dataclass(frozen=True)
class ReviewBatchRecord:
    id: int
    kind: str
    author: str | None
    model_version_id: int | None
    min_confidence: float | None
    created_at: datetime
    accepted: int  # label rows the accept wrote
    undone: bool


@dataclass(frozen=True)
class UndoAcceptReport:
    batch_id: int
    undone: int  # terms back to unlabeled
    kept: int  # terms someone labeled after the accept: their label stays
