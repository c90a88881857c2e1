"""Team review: annotators' own labels, agreement, adjudication, bulk accept of confident predictions.

The label history holds every annotator's rows; an annotator's label of a term is their own newest
human or imported row (``annotator_rows``), whatever others wrote since. The current label stays
the newest edit of anyone. Rows without an author (written before authors were recorded) belong
to no annotator and are left out of agreement.

Final label (training snapshot, export): the newest adjudication of the term, else its current
label (``final_label``). A reviewer is a name in the project setting ``review.reviewers``; it is a
workflow role, not access control (anyone who can write the database can write that setting).

A bulk accept labels every unlabeled term whose stored prediction of the active model is at least
that confident, as source ``accepted-prediction`` with the model version, in one ``ReviewBatch``;
``undo_accept`` takes the batch back in one step (new rows; terms labeled since are kept).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy import ColumnElement, Select, bindparam, func, select, update

from core.domain import LABELS, Polarity
from core.storage.base import StoreBase, label_event, polarity, stamp
from core.storage.bulk import insert_rows
from core.storage.errors import StoreError
from core.storage.records import (AcceptReport, AnnotatorLabel, LabelEvent, ReviewBatchRecord, TermReview,
                                  UndoAcceptReport)
from core.storage.schema import (ACCEPTED, ADJUDICATION, ANNOTATOR_SOURCES, UNLABELED, Label, ReviewBatch, Setting,
                                 Term, refresh_uncertainty)

REVIEWERS_SETTING = "review.reviewers"
INCLUDE_ACCEPTED_SETTING = "training.include_accepted"  # False: training leaves accepted predictions out
CHUNK = 500

if TYPE_CHECKING:
    from core.storage.agreement import AgreementReport


def newest_annotator_ids(term_ids: Any = None) -> Select[Any]:
    """(term_id, author, id of their newest human/import row) for every annotator of every term."""
    query = (select(Label.term_id, Label.author, func.max(Label.id).label("id"))
             .where(Label.source.in_(ANNOTATOR_SOURCES), Label.author.is_not(None))
             .group_by(Label.term_id, Label.author))
    return query.where(Label.term_id.in_(term_ids)) if term_ids is not None else query


def annotator_rows(term_ids: Any = None) -> Select[Any]:
    """Each annotator's own newest label row of each term: (term_id, author, polarity, source, id, created_at)."""
    newest = newest_annotator_ids(term_ids).subquery()
    return (select(Label.term_id, Label.author, Label.polarity, Label.source, Label.id, Label.created_at)
            .join(newest, Label.id == newest.c.id))


def adjudicated_label() -> Any:
    """The polarity of the term's newest adjudication row (NULL: none)."""
    return (select(Label.polarity).where(Label.term_id == Term.id, Label.source == ADJUDICATION)
            .order_by(Label.id.desc()).limit(1).correlate(Term).scalar_subquery())


def final_label() -> ColumnElement[Any]:
    """What training and export use: the adjudicated label where there is one, then the current label."""
    return func.coalesce(adjudicated_label(), Term.current_label)


class ReviewMixin(StoreBase):

    # -- annotators and agreement ----------------------------------------------------------------

    def annotators(self) -> list[str]:
        """Everyone with at least one own label (human or imported), by name."""
        with self._read() as s:
            return sorted(s.scalars(select(Label.author).where(Label.source.in_(ANNOTATOR_SOURCES),
                                                               Label.author.is_not(None)).distinct()))

    def annotator_labels(self, term_id: int) -> TermReview:
        """Each annotator's own newest label of a term, the adjudication and the final label."""
        with self._read() as s:
            term = s.get(Term, term_id)
            if term is None:
                raise StoreError(f"no term with id {term_id}")
            rows = s.execute(annotator_rows([term_id]).order_by(Label.author)).all()
            verdict = s.execute(select(Label.polarity, Label.author).where(
                Label.term_id == term_id, Label.source == ADJUDICATION).order_by(Label.id.desc()).limit(1)).first()
            current = polarity(term.current_label)
        labels = tuple(AnnotatorLabel(r.author, polarity(r.polarity), r.source, r.id, r.created_at) for r in rows)
        adjudicated = polarity(verdict.polarity) if verdict is not None else None
        by = verdict.author if verdict is not None and adjudicated is not None else None
        final = adjudicated if adjudicated is not None else current
        return TermReview(term_id, labels, current, adjudicated, by, final)

    def agreement(self, authors: Sequence[str] | None = None) -> "AgreementReport":
        """Cohen's kappa per pair of annotators, Krippendorff's alpha over all, per label.

        ``authors``: only these annotators (a name with no labels counts as an annotator with none).
        ``report.enough`` is False when fewer than two annotators are in it.
        """
        from core.storage.agreement import agreement_report  # numpy: only when agreement is asked for

        wanted = set(authors) if authors else None
        labels: dict[str, dict[int, int]] = {name: {} for name in (wanted or ())}
        with self._read() as s:
            rows = annotator_rows().subquery()
            query = select(rows.c.author, rows.c.term_id, rows.c.polarity).where(rows.c.polarity.is_not(None))
            if wanted is not None:
                query = query.where(rows.c.author.in_(sorted(wanted)))
            for author, term_id, value in s.execute(query):
                labels.setdefault(author, {})[term_id] = Polarity(value).index
        return agreement_report(labels)

    # -- adjudication ----------------------------------------------------------------------------

    def reviewers(self) -> list[str]:
        with self._read() as s:
            return _names(s)

    def update_reviewers(self, add: Sequence[str] = (), remove: Sequence[str] = ()) -> list[str]:
        """Add and remove reviewers (names as annotators are recorded) in one write; returns the list."""
        with self._write() as s:
            names = (set(_names(s)) | {n.strip() for n in add if n.strip()}) - {n.strip() for n in remove}
            row = s.get(Setting, REVIEWERS_SETTING)
            if row is None:
                s.add(Setting(key=REVIEWERS_SETTING, value=sorted(names)))
            else:
                row.value = sorted(names)
            return sorted(names)

    def adjudicate(self, term_id: int, label: Polarity, author: str | None = None) -> LabelEvent:
        """A reviewer's final label of a term: an adjudication row, which training and export use
        over any annotator's label, also one given later. It also becomes the current label, being
        the newest edit. To change a verdict, adjudicate again (there is no withdrawing one: the
        history would then have to say which label applies instead)."""
        author = author or self.author
        if label is None:
            raise StoreError("an adjudication needs a label (negative, neutral or positive)")
        value = Polarity(label).value
        with self._write() as s:
            if not author or author not in _names(s):
                raise StoreError(f"{author or 'an unnamed user'} is not a reviewer of this project "
                                 "(add one with: polarity project reviewers PROJECT --add NAME)")
            term = s.get(Term, term_id, with_for_update=True, populate_existing=True)
            if term is None:
                raise StoreError(f"no term with id {term_id}")
            row = Label(term_id=term.id, polarity=value, source=ADJUDICATION, action="set", author=author,
                        created_at=stamp(s.connection()))
            s.add(row)
            term.current_label, term.current_source = value, ADJUDICATION
            s.flush()
            refresh_uncertainty(s.connection(), [term.sentence_id])
            return label_event(row)

    # -- bulk accept of confident predictions ----------------------------------------------------

    def accept_predictions(self, min_confidence: float, author: str | None = None,
                           dry_run: bool = False) -> AcceptReport:
        """Label every unlabeled term whose stored prediction (active model) has at least this
        confidence with that prediction, as one batch; ``dry_run`` only counts them."""
        if not 0.0 < float(min_confidence) <= 1.0:
            raise StoreError(f"--min-confidence must be above 0 and at most 1 (e.g. 0.95), not {min_confidence}")
        author = author or self.author
        with (self._read() if dry_run else self._write()) as s:
            version = self._active_version_id(s)
            if version is None:
                raise StoreError("no active model: train one and store its predictions "
                                 "(polarity project predict) before accepting them")
            rows = s.execute(select(Term.id, Term.sentence_id, Term.pred_label, Term.pred_confidence,
                                    Term.pred_p_negative, Term.pred_p_neutral, Term.pred_p_positive)
                             .where(UNLABELED, Term.pred_label.is_not(None),
                                    Term.pred_confidence >= float(min_confidence)).order_by(Term.id)).all()
            per_label = {p.value: sum(1 for r in rows if r.pred_label == p.value) for p in LABELS}
            batch_id = None
            if rows and not dry_run:
                batch_id = self._write_accept(s, rows, version, float(min_confidence), author)
        return AcceptReport(batch_id, len(rows), per_label, float(min_confidence), version, dry_run)

    @staticmethod
    def _write_accept(s: Any, rows: Sequence[Any], version: int, min_confidence: float, author: str | None) -> int:
        conn = s.connection()
        now = stamp(conn)
        batch = ReviewBatch(kind=ACCEPTED, author=author, model_version_id=version, min_confidence=min_confidence,
                            created_at=now)
        s.add(batch)
        s.flush()
        insert_rows(conn, Label.__table__, [
            {"term_id": r.id, "polarity": r.pred_label, "source": ACCEPTED, "action": "set",
             "confidence": r.pred_confidence, "p_negative": r.pred_p_negative, "p_neutral": r.pred_p_neutral,
             "p_positive": r.pred_p_positive, "model_version_id": version, "created_at": now, "author": author,
             "batch_id": batch.id} for r in rows])
        _set_current(conn, [(r.id, r.pred_label) for r in rows])
        refresh_uncertainty(conn, [r.sentence_id for r in rows])
        return int(batch.id)

    def undo_accept(self, batch_id: int | None = None, author: str | None = None) -> UndoAcceptReport:
        """Take a bulk accept back in one step (default: the newest one not undone yet).

        Each term it labeled gets an undo row and is unlabeled again, unless someone labeled it
        since: that label stays (``kept``)."""
        with self._write() as s:
            batch = self._batch_to_undo(s, batch_id)
            term_ids = list(s.scalars(select(Label.term_id).where(Label.batch_id == batch.id, Label.action == "set")
                                      .order_by(Label.term_id)))
            mine = set(s.scalars(select(Label.id).where(Label.batch_id == batch.id, Label.action == "set")))
            still = []
            for i in range(0, len(term_ids), CHUNK):
                chunk = term_ids[i:i + CHUNK]
                newest = s.execute(select(Label.term_id, func.max(Label.id)).where(
                    Label.term_id.in_(chunk), Label.source != "model").group_by(Label.term_id))
                still += [t for t, newest_id in newest if newest_id in mine]
            conn = s.connection()
            now = stamp(conn)
            insert_rows(conn, Label.__table__, [
                {"term_id": t, "polarity": None, "source": ACCEPTED, "action": "undo", "model_version_id":
                 batch.model_version_id, "created_at": now, "author": author or self.author, "batch_id": batch.id}
                for t in still])
            _set_current(conn, [(t, None) for t in still])
            for i in range(0, len(still), CHUNK):
                refresh_uncertainty(conn, select(Term.sentence_id).where(Term.id.in_(still[i:i + CHUNK])))
            return UndoAcceptReport(int(batch.id), len(still), len(term_ids) - len(still))

    @staticmethod
    def _batch_to_undo(s: Any, batch_id: int | None) -> ReviewBatch:
        undone = select(Label.batch_id).where(Label.batch_id == ReviewBatch.id, Label.action == "undo").exists()
        if batch_id is not None:
            batch = s.get(ReviewBatch, int(batch_id))
            if batch is None:
                raise StoreError(f"no bulk accept with id {batch_id}")
            if s.scalar(select(undone).where(ReviewBatch.id == batch.id)):
                raise StoreError(f"bulk accept {batch_id} was undone already")
            return batch  # type: ignore[no-any-return]
        batch = s.scalars(select(ReviewBatch).where(~undone).order_by(ReviewBatch.id.desc()).limit(1)).first()
        if batch is None:
            raise StoreError("no bulk accept to undo")
        return batch  # type: ignore[no-any-return]

    def review_batches(self) -> list[ReviewBatchRecord]:
        """Every bulk accept, oldest first, with how many labels it wrote and whether it was undone."""
        with self._read() as s:
            counts: dict[int, dict[str, int]] = {}
            for bid, action, n in s.execute(select(Label.batch_id, Label.action, func.count())
                                            .where(Label.batch_id.is_not(None)).group_by(Label.batch_id, Label.action)):
                counts.setdefault(bid, {})[action] = int(n)
            return [ReviewBatchRecord(b.id, b.kind, b.author, b.model_version_id, b.min_confidence, b.created_at,
                                      counts.get(b.id, {}).get("set", 0), "undo" in counts.get(b.id, {}))
                    for b in s.scalars(select(ReviewBatch).order_by(ReviewBatch.id))]

    def source_counts(self) -> dict[str, int]:
        """Labeled terms per source of their current label (human, import, adjudication, accepted-prediction)."""
        with self._read() as s:
            return {src: int(n) for src, n in s.execute(select(Term.current_source, func.count())
                                                        .where(Term.current_label.is_not(None))
                                                        .group_by(Term.current_source))}


def _names(s: Any) -> list[str]:
    row = s.get(Setting, REVIEWERS_SETTING)
    return sorted(str(n) for n in (row.value if row is not None and isinstance(row.value, list) else []))


def _set_current(conn: Any, changes: list[tuple[int, str | None]]) -> None:
    """Point the terms' current-label cache at the rows just written (source accepted-prediction)."""
    if changes:
        conn.execute(update(Term).where(Term.id == bindparam("tid")).values(
            current_label=bindparam("cl"), current_source=ACCEPTED), [{"tid": t, "cl": v} for t, v in changes])
