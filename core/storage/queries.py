"""The queries the app runs: pages of sentences under a filter, counts, statistics, snapshots.

Pages are ordered by sentence id (import order). Each filter is a condition on one term of the
sentence, answered from the cached label/prediction columns of ``terms`` and their indexes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select

from core.domain import LABEL_NAMES, Polarity, TermExample
from core.storage.base import TERM_COLUMNS, StoreBase, term_record
from core.storage.documents import SentenceDocument
from core.storage.search import matching_ids, text_index_kind
from core.storage.records import ProjectStats, SentenceFilter, SentenceRecord
from core.storage.review import INCLUDE_ACCEPTED_SETTING, adjudicated_label
from core.storage.schema import (ACCEPTED, DISAGREES, DISPUTED, LABELED, UNCERTAIN, UNLABELED, ModelVersion, Sentence,
                                 Setting, Term)


def term_condition(f: SentenceFilter) -> ColumnElement[bool] | None:
    """The condition one term of a matching sentence meets (None: any sentence matches)."""
    label = f.label.value if f.label is not None else None
    if f.kind == "all":
        return Term.current_label == label if label else None
    if f.kind == "labeled":
        return Term.current_label == label if label else LABELED
    if f.kind == "unlabeled":
        return and_(UNLABELED, Term.pred_label == label) if label else UNLABELED
    if f.kind == "disagree":
        return and_(DISAGREES, Term.current_label == label) if label else DISAGREES
    if f.kind in ("annotators_disagree", "accepted"):  # team review (core/storage/review.py)
        # an undone accept leaves its source on the unlabeled term: "accepted" means labeled by one
        cond = DISPUTED if f.kind == "annotators_disagree" else and_(LABELED, Term.current_source == ACCEPTED)
        return and_(cond, Term.current_label == label) if label else cond
    return and_(UNCERTAIN, Term.pred_label == label) if label else UNCERTAIN  # least_confident


_UNKNOWN: Any = object()


class QueryMixin(StoreBase):
    _text_index: str | None = _UNKNOWN  # how text search runs here (read from meta once)

    def page(self, filter: SentenceFilter | None = None, offset: int = 0, limit: int = 50) -> list[SentenceRecord]:
        """One page of sentences matching ``filter``, each with all its terms and their labels.

        Ordered by sentence id (import order); "least_confident" by its least confident term.
        """
        f = filter or SentenceFilter()
        offset, limit = max(0, int(offset)), max(0, int(limit))
        with self._read() as s:
            if f.kind == "least_confident":
                ids = self._least_confident_ids(s, f, offset, limit)
            else:
                ids = list(s.scalars(self._select_ids(s, f).offset(offset).limit(limit)))
            return self._records(s, ids)

    def count(self, filter: SentenceFilter | None = None) -> int:
        """How many sentences match ``filter``."""
        f = filter or SentenceFilter()
        with self._read() as s:
            if term_condition(f) is None:
                text_ids = self._text_ids(s, f)
                source = Sentence if text_ids is None else text_ids.subquery()  # text only: count the index
                return int(s.scalar(select(func.count()).select_from(source)) or 0)
            inner = self._select_ids(s, f).order_by(None).subquery()
            return int(s.scalar(select(func.count()).select_from(inner)) or 0)

    def _text_ids(self, s: Any, f: SentenceFilter) -> Select[Any] | None:
        text = f.text.strip()
        if not text:
            return None
        if self._text_index is _UNKNOWN:
            self._text_index = text_index_kind(s.connection())
        return matching_ids(text, self._text_index, s.get_bind().dialect.name)  # type: ignore[arg-type]

    def _select_ids(self, s: Any, f: SentenceFilter) -> Select[Any]:
        """Ids of matching sentences in sentence order (for "least_confident": the set only)."""
        cond = term_condition(f)
        text_ids = self._text_ids(s, f)
        if cond is None:
            query = select(Sentence.id)
            if text_ids is not None:
                query = query.where(Sentence.id.in_(text_ids))
            return query.order_by(Sentence.id)
        # Walk the (partial) index of the condition in sentence order: no scan of all sentences.
        query = select(Term.sentence_id).where(cond).distinct()
        if text_ids is not None:
            query = query.where(Term.sentence_id.in_(text_ids))
        return query.order_by(Term.sentence_id)

    def _least_confident_ids(self, s: Any, f: SentenceFilter, offset: int, limit: int) -> list[int]:
        """Sentences by their least confident unlabeled term, the smallest margin between its two
        likeliest labels (core.storage.schema.MARGIN; cached on the sentence: an index walk).

        With a label the cache does not apply: walk those terms from the lowest top probability
        up (see below); a sentence counts at its first (= least confident) term.
        """
        if f.label is None:
            query = select(Sentence.id).where(Sentence.min_confidence.is_not(None))
            text_ids = self._text_ids(s, f)
            if text_ids is not None:
                query = query.where(Sentence.id.in_(text_ids))
            query = query.order_by(Sentence.min_confidence, Sentence.id).offset(offset).limit(limit)
            return list(s.scalars(query))
        # By top probability, not MARGIN: this walk must follow an index (ix_terms_uncertain_order);
        # ordering by the margin expression sorted ~50k terms per label (1.6 -> ~150 ms measured
        # on 150k terms), past the 50 ms page budget. An index on MARGIN needs a schema version.
        query = select(Term.sentence_id).where(term_condition(f)).order_by(  # type: ignore[arg-type]
            Term.pred_confidence, Term.sentence_id)
        text_ids = self._text_ids(s, f)
        if text_ids is not None:
            query = query.where(Term.sentence_id.in_(text_ids))
        seen: set[int] = set()
        ids: list[int] = []
        result = s.execute(query.execution_options(yield_per=min(4096, max(256, 2 * (offset + limit)))))
        try:
            for (sid,) in result:
                if sid in seen:
                    continue
                seen.add(sid)
                if len(seen) > offset:
                    ids.append(sid)
                    if len(ids) >= limit:
                        break
        finally:
            result.close()
        return ids

    def sentences(self, ids: list[int]) -> list[SentenceRecord]:
        """The sentences with these ids, in the order given (unknown ids are left out)."""
        with self._read() as s:
            return self._records(s, ids)

    def _records(self, s: Any, ids: list[int]) -> list[SentenceRecord]:
        if not ids:
            return []
        rows = {r.id: r for r in s.execute(select(Sentence.id, Sentence.text, Sentence.source,
                                                  Sentence.external_id, Sentence.position,
                                                  SentenceDocument.document_id, SentenceDocument.document_position)
                                           .outerjoin(SentenceDocument, SentenceDocument.sentence_id == Sentence.id)
                                           .where(Sentence.id.in_(ids)))}
        terms: dict[int, list[Any]] = {i: [] for i in ids}
        for t in s.execute(select(*TERM_COLUMNS).where(Term.sentence_id.in_(ids))
                           .order_by(Term.sentence_id, Term.start, Term.end, Term.id)):
            terms[t.sentence_id].append(t)
        return [SentenceRecord(id=r.id, text=r.text, source=r.source, external_id=r.external_id or None,
                               position=r.position, terms=tuple(term_record(t, r.text) for t in terms[r.id]),
                               document=(r.document_id, r.document_position) if r.document_id is not None else None)
                for r in (rows[i] for i in ids if i in rows)]

    def stats(self) -> ProjectStats:
        with self._read() as s:
            sentences = int(s.scalar(select(func.count()).select_from(Sentence)) or 0)
            per_label = {name: 0 for name in LABEL_NAMES}
            terms = int(s.scalar(select(func.count()).select_from(Term)) or 0)
            for label, n in s.execute(select(Term.current_label, func.count()).where(LABELED)
                                      .group_by(Term.current_label)):
                per_label[label] = int(n)
            models = int(s.scalar(select(func.count()).select_from(ModelVersion)) or 0)
            return ProjectStats(sentences=sentences, terms=terms, labeled=sum(per_label.values()),
                                per_label=per_label, models=models, active_model=self._active_version_id(s))

    def label_counts(self) -> dict[str, int]:
        """Terms per current label (negative / neutral / positive)."""
        return self.stats().per_label

    def labeled_examples(self, include_accepted: bool | None = None) -> list[TermExample]:
        """The training snapshot, in term order (one read transaction): each term's adjudicated
        label where there is one, else its current label.

        ``include_accepted``: whether terms whose label is an accepted prediction (not adjudicated)
        are in it; None reads the project setting ``training.include_accepted`` (default: yes).
        """
        with self._read() as s:
            if include_accepted is None:
                row = s.get(Setting, INCLUDE_ACCEPTED_SETTING)
                include_accepted = row is None or bool(row.value)
            inner = select(Sentence.text, Sentence.external_id, Term.start, Term.end, Term.category, Term.id,
                           Term.current_source, Term.current_label, adjudicated_label().label("adjudicated")
                           ).join(Sentence, Sentence.id == Term.sentence_id).subquery()
            final = func.coalesce(inner.c.adjudicated, inner.c.current_label).label("final")  # adjudication wins
            query = select(inner, final).where(final.is_not(None)).order_by(inner.c.id)
            if not include_accepted:  # an adjudicated term is a reviewer's label, whatever its current source
                query = query.where(inner.c.adjudicated.is_not(None) | inner.c.current_source.is_(None)
                                    | (inner.c.current_source != ACCEPTED))
            return [TermExample(r.text, r.start, r.end, Polarity(r.final), r.category,
                                r.external_id or None) for r in s.execute(query)]

    def unlabeled_terms(self) -> list[tuple[int, TermExample]]:
        """(term id, example) for every term without a current label, in term order."""
        with self._read() as s:
            rows = s.execute(select(Term.id, Sentence.text, Sentence.external_id, Term.start, Term.end,
                                    Term.category).join(Sentence, Sentence.id == Term.sentence_id)
                             .where(Term.current_label.is_(None)).order_by(Term.id))
            return [(r.id, TermExample(r.text, r.start, r.end, None, r.category, r.external_id or None))
                    for r in rows]
