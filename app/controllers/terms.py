"""What the labeling controller asks of a sentence's terms: plain functions, no Qt, no store."""

from __future__ import annotations

from app.views.sentence.words import TermSpan
from core.domain import Prediction
from core.storage import LabelEvent, SentenceRecord, TermRecord


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


REVIEW_SOURCES = ("accepted-prediction", "adjudication")  # labels whose pill says where they came from


def label_state(term: TermRecord | None, owner: str) -> str:
    """The words beside the chosen term: new, not labeled yet, or whose label it has."""
    if term is None:
        return "new term: a label adds it to the project"
    if term.label is None:
        return "not labeled yet"
    if term.label_source in REVIEW_SOURCES:
        return f"labeled {term.label.value} · {owner.lower()}"
    by = " (imported)" if owner == "Imported" else f" by {'you' if owner == 'You' else owner}"
    return f"labeled {term.label.value}{by}"


def review_owner(source: str | None, newest: LabelEvent | None, me: str | None) -> str:
    """The pill's word for a label from team review: "Accepted prediction (v3)", "Final (lead)"."""
    if source == "accepted-prediction":
        version = newest.model_version_id if newest is not None else None
        return f"Accepted prediction (v{version})" if version is not None else "Accepted prediction"
    by = newest.author if newest is not None else None
    return "Final (you)" if by is not None and by == me else f"Final ({by})" if by else "Final"


def origin_text(rec: SentenceRecord) -> str:
    """Where the sentence came from, for the header: a raw text's document, place in it and file
    ("doc R17 · sentence 2 · answers.csv", short: the header is narrow and cuts the end off with
    "…"), else the imported id or the file."""
    if rec.document is not None:
        doc, pos = rec.document
        where = f"doc {doc} · sentence {pos + 1}"
        return f"{where} · {rec.source}" if rec.source else where
    return rec.external_id or rec.source or ""
