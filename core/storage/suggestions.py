"""Term suggestions (schema version 5): spans the term extractor proposes, and "all terms done".

A suggestion is a span of a sentence with the extractor's score and the polarity model's
prediction. It is ``open`` until a person accepts it (the span becomes a term) or rejects it;
a rejected span is remembered, so a later ``project suggest`` never proposes it again. A
sentence marked "all terms done" has every term marked: with the SemEval imports it is what
the extractor trains on. Rows are never deleted; each decision is one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint, func, literal_column,
                        select, update)
from sqlalchemy.orm import Mapped, mapped_column

from core.domain import Polarity, validate_span
from core.storage.base import StoreBase, term_record
from core.storage.errors import StoreError
from core.storage.records import SentenceFilter, SentenceRecord, TermRecord
from core.storage.schema import Base, Sentence, Term, UTCDateTime, utcnow

STATES = ("open", "accepted", "rejected")


class TermSuggestion(Base):
    __tablename__ = "term_suggestions"
    __table_args__ = (
        UniqueConstraint("sentence_id", "start", "end", name="uq_term_suggestions_span"),
        CheckConstraint("state IN ('open', 'accepted', 'rejected')", name="ck_term_suggestions_state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="open")
    score: Mapped[float] = mapped_column(Float, default=1.0)  # the extractor's confidence in the span
    pred_label: Mapped[str | None] = mapped_column(String(16), default=None)
    pred_p_negative: Mapped[float | None] = mapped_column(Float, default=None)
    pred_p_neutral: Mapped[float | None] = mapped_column(Float, default=None)
    pred_p_positive: Mapped[float | None] = mapped_column(Float, default=None)
    extractor: Mapped[str] = mapped_column(String(512), default="")  # which model proposed it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("terms.id", ondelete="SET NULL"), default=None)


# A literal, not a bound parameter: only then can SQLite answer from the partial index alone.
OPEN = TermSuggestion.state == literal_column("'open'")
# What a SuggestionRecord is made of: read as plain rows where many are read at once (no ORM objects).
_RECORD_COLUMNS = (TermSuggestion.id, TermSuggestion.sentence_id, TermSuggestion.start, TermSuggestion.end,
                   TermSuggestion.state, TermSuggestion.score, TermSuggestion.pred_label, TermSuggestion.pred_p_negative,
                   TermSuggestion.pred_p_neutral, TermSuggestion.pred_p_positive, TermSuggestion.term_id)
Index("ix_term_suggestions_open", TermSuggestion.sentence_id, sqlite_where=OPEN, postgresql_where=OPEN)


class TermsDone(Base):
    """A sentence whose terms are all marked (a person said so): a training example for the extractor."""

    __tablename__ = "sentence_terms_done"
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id", ondelete="CASCADE"), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[str | None] = mapped_column(String(128), default=None)


@dataclass(frozen=True)
class SuggestionRecord:
    id: int
    sentence_id: int
    start: int
    end: int
    text: str
    state: str
    score: float
    predicted: Polarity | None
    probabilities: tuple[float, float, float] | None
    term_id: int | None


@dataclass(frozen=True)
class SuggestionOverview:
    """What ``suggestion_overview`` reads: open suggestions per sentence id, and the sentences marked done."""

    open: dict[int, tuple[SuggestionRecord, ...]]
    done: frozenset[int]


@dataclass(frozen=True)
class NewSuggestion:
    """What ``store_suggestions`` takes: a span of a stored sentence, with its predicted polarity."""

    sentence_id: int
    start: int
    end: int
    score: float = 1.0
    probabilities: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class StoreSuggestionsReport:
    added: int = 0
    refreshed: int = 0     # open suggestions whose prediction was updated
    known: int = 0         # spans already a term, or rejected/accepted before: left as they are


@dataclass(frozen=True)
class LabelEverywherePreview:
    text: str
    sentences: int         # sentences holding the string as whole words
    new_terms: int         # occurrences that are not yet terms (what "label everywhere" adds)


def _record(row: Any, text: str) -> SuggestionRecord:
    probs = None
    if row.pred_p_negative is not None:
        probs = (float(row.pred_p_negative), float(row.pred_p_neutral or 0.0), float(row.pred_p_positive or 0.0))
    return SuggestionRecord(row.id, row.sentence_id, row.start, row.end, text[row.start:row.end], row.state,
                            float(row.score), Polarity(row.pred_label) if row.pred_label else None, probs, row.term_id)


def _label_of(probs: tuple[float, float, float] | None) -> str | None:
    if probs is None:
        return None
    return (Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE)[max(range(3), key=lambda i: probs[i])].value


def occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """Case-insensitive whole-word matches of ``needle`` in ``text`` (a word never matches inside another)."""
    pattern = re.compile(r"(?<!\w)" + re.escape(needle.strip()) + r"(?!\w)", re.IGNORECASE)
    return [m.span() for m in pattern.finditer(text)] if needle.strip() else []


class SuggestionsMixin(StoreBase):
    # -- storing ---------------------------------------------------------------------------------

    def store_suggestions(self, items: Iterable[NewSuggestion], extractor: str = "") -> StoreSuggestionsReport:
        """Store one chunk of suggestions in one transaction. A span that is already a term, or was
        accepted or rejected before, is left alone; an open one gets the new prediction."""
        added = refreshed = known = 0
        items = list(items)
        with self._write() as s:
            by_sentence: dict[int, list[NewSuggestion]] = {}
            for item in items:
                by_sentence.setdefault(item.sentence_id, []).append(item)
            texts = dict(s.execute(select(Sentence.id, Sentence.text).where(Sentence.id.in_(list(by_sentence)))).all())
            terms = {(r.sentence_id, r.start, r.end) for r in s.execute(
                select(Term.sentence_id, Term.start, Term.end).where(Term.sentence_id.in_(list(by_sentence))))}
            existing = {(r.sentence_id, r.start, r.end): r for r in s.scalars(
                select(TermSuggestion).where(TermSuggestion.sentence_id.in_(list(by_sentence))))}
            for item in items:
                key = (item.sentence_id, item.start, item.end)
                if item.sentence_id not in texts:
                    raise StoreError(f"no sentence with id {item.sentence_id}")
                problem = validate_span(texts[item.sentence_id], item.start, item.end)
                if problem:
                    raise StoreError(f"cannot store suggestion: {problem}")
                row = existing.get(key)
                if key in terms or (row is not None and row.state != "open"):
                    known += 1
                elif row is not None:
                    _set_prediction(row, item, extractor)
                    refreshed += 1
                else:
                    row = TermSuggestion(sentence_id=item.sentence_id, start=item.start, end=item.end)
                    _set_prediction(row, item, extractor)
                    s.add(row)
                    existing[key] = row
                    added += 1
        return StoreSuggestionsReport(added, refreshed, known)

    # -- reading ---------------------------------------------------------------------------------

    def suggestions(self, sentence_id: int, states: Sequence[str] = ("open",)) -> list[SuggestionRecord]:
        """A sentence's suggestions in the given states (default: the open ones the app shows)."""
        with self._read() as s:
            text = s.scalar(select(Sentence.text).where(Sentence.id == sentence_id))
            if text is None:
                return []
            rows = s.scalars(select(TermSuggestion).where(TermSuggestion.sentence_id == sentence_id,
                                                          TermSuggestion.state.in_(list(states)))
                             .order_by(TermSuggestion.start, TermSuggestion.end))
            return [_record(r, text) for r in rows]

    def iter_sentence_texts(self, chunk: int = 1000) -> Iterator[tuple[int, str]]:
        """(id, text) of every sentence in id order, read a chunk at a time (flat memory; each
        chunk its own short read, so writes can go on between them)."""
        after = 0
        while True:
            with self._read() as s:
                rows = s.execute(select(Sentence.id, Sentence.text).where(Sentence.id > after)
                                 .order_by(Sentence.id).limit(chunk)).all()
            if not rows:
                return
            yield from ((r.id, r.text) for r in rows)
            after = rows[-1].id

    def suggestion_counts(self) -> dict[str, int]:
        with self._read() as s:
            rows = s.execute(select(TermSuggestion.state, func.count()).group_by(TermSuggestion.state)).all()
        counts = dict.fromkeys(STATES, 0)
        counts.update({state: int(n) for state, n in rows})
        return counts

    def _suggested_ids(self, s: Any, text: str = "") -> Any:
        query = select(TermSuggestion.sentence_id).where(OPEN)
        text_ids = self._text_ids(s, SentenceFilter(text=text)) if text.strip() else None  # type: ignore[attr-defined]
        if text_ids is not None:
            query = query.where(TermSuggestion.sentence_id.in_(text_ids))
        return query.distinct().order_by(TermSuggestion.sentence_id)

    def page_with_suggestions(self, offset: int = 0, limit: int = 50, text: str = "") -> list[SentenceRecord]:
        """The filter "sentences with open suggestions", in sentence order (``text``: those holding it too)."""
        with self._read() as s:
            ids = list(s.scalars(self._suggested_ids(s, text).offset(max(0, offset)).limit(max(0, limit))))
            return self._records(s, ids)  # type: ignore[attr-defined]

    def count_with_suggestions(self, text: str = "") -> int:
        with self._read() as s:
            inner = self._suggested_ids(s, text).order_by(None).subquery()
            return int(s.scalar(select(func.count()).select_from(inner)) or 0)

    def suggestion_overview(self, sentence_ids: Sequence[int]) -> SuggestionOverview:
        """The open suggestions and the "all terms done" marks of many sentences, in one read
        (what the app keeps for the sentences its list has loaded)."""
        ids = list(dict.fromkeys(sentence_ids))
        found: dict[int, list[SuggestionRecord]] = {i: [] for i in ids}
        done: set[int] = set()
        with self._read() as s:
            for k in range(0, len(ids), 500):  # keep each IN list well under the drivers' limits
                chunk = ids[k:k + 500]
                texts = dict(s.execute(select(Sentence.id, Sentence.text).where(Sentence.id.in_(chunk))).all())
                rows = s.execute(select(*_RECORD_COLUMNS).where(TermSuggestion.sentence_id.in_(chunk), OPEN)
                                 .order_by(TermSuggestion.sentence_id, TermSuggestion.start, TermSuggestion.end))
                for row in rows:
                    found[row.sentence_id].append(_record(row, texts[row.sentence_id]))
                done.update(s.scalars(select(TermsDone.sentence_id).where(TermsDone.sentence_id.in_(chunk))))
        return SuggestionOverview({i: tuple(v) for i, v in found.items()}, frozenset(done))

    # -- deciding --------------------------------------------------------------------------------

    def accept_suggestion(self, suggestion_id: int, author: str | None = None) -> TermRecord:
        """The span becomes a term (then labeled as any term); the suggestion is marked accepted."""
        with self._write() as s:
            row = s.get(TermSuggestion, suggestion_id)
            if row is None:
                raise StoreError(f"no suggestion with id {suggestion_id}")
            return self._accept(s, row)

    def reject_suggestion(self, suggestion_id: int) -> SuggestionRecord:
        with self._write() as s:
            row = s.get(TermSuggestion, suggestion_id)
            if row is None:
                raise StoreError(f"no suggestion with id {suggestion_id}")
            if row.state == "accepted":
                raise StoreError(f"suggestion {suggestion_id} was accepted: it is a term now")
            row.state, row.decided_at = "rejected", utcnow()
            s.flush()
            return _record(row, s.get(Sentence, row.sentence_id).text)

    def accept_all_suggestions(self, sentence_id: int) -> list[TermRecord]:
        """Every open suggestion of the sentence becomes a term, in one transaction."""
        with self._write() as s:
            rows = list(s.scalars(select(TermSuggestion).where(TermSuggestion.sentence_id == sentence_id, OPEN)
                                  .order_by(TermSuggestion.start)))
            return [self._accept(s, row) for row in rows]

    def _accept(self, s: Any, row: TermSuggestion) -> TermRecord:
        text = s.get(Sentence, row.sentence_id).text
        term = s.scalar(select(Term).where(Term.sentence_id == row.sentence_id, Term.start == row.start,
                                           Term.end == row.end, Term.category == ""))
        if term is None:
            term = Term(sentence_id=row.sentence_id, start=row.start, end=row.end, category="")
            s.add(term)
            s.flush()
        if row.state != "accepted":
            row.state, row.decided_at, row.term_id = "accepted", utcnow(), term.id
        return term_record(term, text)

    # -- "all terms done" ------------------------------------------------------------------------

    def set_terms_done(self, sentence_id: int, done: bool = True) -> None:
        """Mark (or unmark) that every term of the sentence is marked; open suggestions it still
        has are rejected when it is marked done, as the person has seen them all."""
        with self._write() as s:
            if s.get(Sentence, sentence_id) is None:
                raise StoreError(f"no sentence with id {sentence_id}")
            row = s.get(TermsDone, sentence_id)
            if done and row is None:
                s.add(TermsDone(sentence_id=sentence_id, author=self.author))
                s.execute(update(TermSuggestion).where(TermSuggestion.sentence_id == sentence_id, OPEN)
                          .values(state="rejected", decided_at=utcnow()))
            elif not done and row is not None:
                s.delete(row)

    def terms_done(self, sentence_id: int) -> bool:
        with self._read() as s:
            return s.get(TermsDone, sentence_id) is not None

    def annotated_sentences(self) -> Iterator[tuple[str, list[tuple[int, int]]]]:
        """Fully annotated sentences (text, term spans): imported from SemEval XML, or marked done."""
        with self._read() as s:
            done = select(TermsDone.sentence_id)
            query = (select(Sentence.id, Sentence.text).where(Sentence.source.ilike("%.xml") | Sentence.id.in_(done))
                     .order_by(Sentence.id))
            rows = s.execute(query).all()
            spans: dict[int, list[tuple[int, int]]] = {}
            for sid, start, end in s.execute(select(Term.sentence_id, Term.start, Term.end)
                                             .where(Term.sentence_id.in_([r.id for r in rows]))):
                spans.setdefault(sid, []).append((start, end))
        for sid, text in rows:
            yield text, sorted(set(spans.get(sid, [])))

    # -- label every occurrence --------------------------------------------------------------------

    def _occurrence_rows(self, s: Any, needle: str) -> list[tuple[int, str, list[tuple[int, int]]]]:
        from core.storage.search import like_condition

        found = []
        query = select(Sentence.id, Sentence.text).where(like_condition(needle.strip(), s.get_bind().dialect.name))
        for sid, text in s.execute(query.order_by(Sentence.id).execution_options(yield_per=2048)):
            spans = occurrences(text, needle)
            if spans:
                found.append((sid, text, spans))
        return found

    def preview_label_everywhere(self, needle: str) -> LabelEverywherePreview:
        with self._read() as s:
            rows = self._occurrence_rows(s, needle)
            existing = _existing_spans(s, [sid for sid, _, _ in rows])
        new = sum(1 for sid, _, spans in rows for span in spans if (sid, *span) not in existing)
        return LabelEverywherePreview(needle.strip(), len(rows), new)

    def label_everywhere(self, needle: str, polarity: Polarity | None = None,
                         author: str | None = None) -> list[TermRecord]:
        """Add every whole-word occurrence of ``needle`` as a term; with ``polarity``, label the
        new terms too (human labels, one history row each). All of it is one transaction: a
        failure leaves no term and no label behind. Terms that were there keep their labels."""
        if not needle.strip():
            raise StoreError("the term to label everywhere must not be empty")
        value = Polarity(polarity).value if polarity is not None else None
        with self._write() as s:
            rows = self._occurrence_rows(s, needle)
            existing = _existing_spans(s, [sid for sid, _, _ in rows])
            added: list[Term] = []
            for sid, _text, spans in rows:
                for start, end in spans:
                    if (sid, start, end) not in existing:
                        term = Term(sentence_id=sid, start=start, end=end, category="")
                        s.add(term)
                        added.append(term)
            s.flush()
            _accept_matching(s, added)
            if value is not None:
                for term in added:
                    self._append(s, term, value, "human", "set", author or self.author)  # type: ignore[attr-defined]
            texts = {sid: text for sid, text, _ in rows}
            return [term_record(t, texts[t.sentence_id]) for t in added]


def _accept_matching(s: Any, terms: list[Term]) -> None:
    """Open suggestions of exactly these spans are accepted by the new terms (a span counted once)."""
    by_span = {(t.sentence_id, t.start, t.end): t for t in terms}
    if not by_span:
        return
    rows = s.scalars(select(TermSuggestion).where(TermSuggestion.sentence_id.in_({k[0] for k in by_span}), OPEN))
    for row in rows:
        term = by_span.get((row.sentence_id, row.start, row.end))
        if term is not None:
            row.state, row.decided_at, row.term_id = "accepted", utcnow(), term.id


def close_suggestion(s: Any, term: Term) -> None:
    """Mark the open suggestion of ``term``'s span accepted (in the caller's transaction)."""
    s.execute(update(TermSuggestion).where(TermSuggestion.sentence_id == term.sentence_id, OPEN,
                                           TermSuggestion.start == term.start, TermSuggestion.end == term.end)
              .values(state="accepted", decided_at=utcnow(), term_id=term.id))


def _existing_spans(s: Any, sentence_ids: list[int]) -> set[tuple[int, int, int]]:
    if not sentence_ids:
        return set()
    return {(r.sentence_id, r.start, r.end) for r in s.execute(
        select(Term.sentence_id, Term.start, Term.end).where(Term.sentence_id.in_(sentence_ids)))}


def _set_prediction(row: TermSuggestion, item: NewSuggestion, extractor: str) -> None:
    probs = item.probabilities
    row.score, row.extractor, row.pred_label = float(item.score), extractor[:512], _label_of(probs)
    row.pred_p_negative, row.pred_p_neutral, row.pred_p_positive = probs if probs is not None else (None, None, None)
