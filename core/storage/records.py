"""Frozen records the repository returns. ORM objects never leave their session; these do.

They are plain values: safe to hand to a widget, another thread, or ``json.dumps`` via ``asdict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from core.domain import Polarity

LabelSource = Literal["human", "import", "model"]
RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FilterKind = Literal["all", "unlabeled", "labeled", "disagree", "least_confident"]

LABEL_SOURCES: tuple[str, ...] = ("human", "import", "model")
RUN_STATUSES: tuple[str, ...] = ("queued", "running", "succeeded", "failed", "cancelled")
FILTER_KINDS: tuple[str, ...] = ("all", "unlabeled", "labeled", "disagree", "least_confident")


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
    (unlabeled terms with a prediction, the sentence with the least confident one first).
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
