"""What the labeling controller asks of a sentence's terms: plain functions, no Qt, no store."""

from __future__ import annotations

from app.views.sentence.words import TermSpan
from core.domain import Prediction
from core.storage import SentenceRecord, TermRecord


def term_spans(rec: SentenceRecord) -> list[TermSpan]:
    return [TermSpan(t.start, t.end, t.label, t.predicted, t.id) for t in rec.terms]


def stored_prediction(term: TermRecord | None) -> Prediction | None:
    """The prediction the store holds for the active version, if any (shown without waiting)."""
    if term is None or term.predicted is None or term.probabilities is None:
        return None
    return Prediction(term.predicted, tuple(float(p) for p in term.probabilities))  # type: ignore[arg-type]


def next_unlabeled(rec: SentenceRecord, span: tuple[int, int] | None) -> TermRecord | None:
    """The sentence's next unlabeled term after ``span`` (then from its start); None when all are labeled."""
    terms = sorted(rec.terms, key=lambda t: (t.start, t.end))
    after = [t for t in terms if span is None or (t.start, t.end) > span]
    before = [t for t in terms if span is not None and (t.start, t.end) < span]
    return next((t for t in after + before if t.label is None), None)
