"""Import and export through ``core.formats``.

An import parses the whole file first (a malformed file raises ``FormatError`` naming file, line
and reason before anything is written), then writes every row in one transaction with bulk
inserts. Raw text is read and checked whole first too; its sentences are then stored batch by
batch, in that one transaction, while the splitter's workers split the rest. Sentences are
matched by (text, external id) and terms by (sentence, start, end), so importing a file twice
adds nothing. An imported label is recorded only when it differs from the
term's current label, and never replaces a label a person gave in the app (``kept_human``).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence

from sqlalchemy import bindparam, func, select, update

from core.domain import Polarity, Prediction, TermExample, validate_span
from core.storage.base import StoreBase, stamp
from core.storage.bulk import insert_rows
from core.storage.documents import SentenceDocument
from core.storage.errors import StoreError
from core.storage.records import ImportReport
from core.storage.search import bulk_insert_sentences
from core.storage.schema import Label, Sentence, Term, refresh_disputed, refresh_uncertainty, sentence_lookup
from core.streams import batches

CHUNK = 500  # ids / texts per IN (...) lookup
RAW_BATCH = 20000  # sentences per insert of a streamed raw import
MAX_WARNINGS = 20

FileKey = tuple[str, str, int, int, str]  # sentence text, external id, start, end, category


class BareSentence(NamedTuple):
    """A sentence to store without terms: raw text (with its document) or a SemEval sentence
    that has no aspect term (document None)."""

    text: str
    external_id: str
    document: tuple[str, int] | None = None  # (document id, position in it)


def raw_sentences(sentences: Iterable[Any]) -> Iterator[BareSentence]:
    """``core.formats.raw.RawSentence`` -> BareSentence. The external id is ``document:position``
    (SemEval-2016's ``rid:n``), so the same sentence twice in a document is two sentences and
    importing the file again matches every one."""
    return (BareSentence(s.text, f"{s.document_id}:{s.position}", (s.document_id, s.position)) for s in sentences)


def _insert_sentences(conn: Any, index_new: Callable[[list[int]], None], new: Sequence[BareSentence],
                      positions: Mapping[tuple[str, str], int], source: str, now: Any) -> list[int]:
    """Insert sentences not stored yet (inside ``bulk_insert_sentences``), index them and record
    their documents; their ids, in order."""
    values = [{"text": b.text, "external_id": b.external_id, "source": source,
               "position": positions[(b.text, b.external_id)], "created_at": now} for b in new]
    ids = insert_rows(conn, Sentence.__table__, values, want_ids=True)
    index_new(ids)
    insert_rows(conn, SentenceDocument.__table__,
                [{"sentence_id": i, "document_id": b.document[0], "document_position": b.document[1]}
                 for b, i in zip(new, ids) if b.document is not None])
    return ids


def _file_terms(examples: Sequence[TermExample], where: str) -> tuple[dict[FileKey, str | None], int, list[str]]:
    """The file's terms in order of first appearance, each with the file's last label for it.

    Returns (terms, rows repeating an earlier term, a warning per term the file labels two ways).
    """
    labels: dict[FileKey, str | None] = {}
    first_line: dict[FileKey, tuple[int | None, str | None]] = {}
    duplicates = 0
    warnings: list[str] = []
    for ex in examples:
        key = (ex.sentence, ex.sentence_id or "", ex.start, ex.end, ex.category)
        label = ex.polarity.value if ex.polarity is not None else None
        if key not in labels:
            labels[key] = label
            first_line[key] = (ex.line, label)
            continue
        duplicates += 1
        if label is not None and labels[key] is not None and label != labels[key]:
            line, first = first_line[key]
            warnings.append(f"{where}:{ex.line or '?'}: term {ex.term!r} ({ex.start}:{ex.end}) is labeled {label} "
                            f"here but {first} on line {line or '?'}; the later label is imported")
        if label is not None:
            labels[key] = label
    return labels, duplicates, warnings


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class ImportExportMixin(StoreBase):

    def import_file(self, path: str | os.PathLike[str], fmt: str | None = None, lenient: bool = False, *,
                    author: str | None = None, text_column: str | None = None, id_column: str | None = None,
                    split: bool = True) -> ImportReport:
        """Import every example of a file in one transaction (all rows or none).

        ``author``: see ``import_examples``. Raw text (``.txt``, ``.xlsx``, a CSV / TSV / JSONL with no
        spans or terms, or any of those with ``text_column``) is split into sentences (``split``) and
        stored without terms, each with its document (``id_column``, else its line) and position.
        SemEval sentences without terms are kept too.
        """
        from core.formats import read_examples
        from core.formats.raw import is_raw, stream_raw

        where = os.fspath(path)
        if text_column is not None or (fmt is None and is_raw(where)):
            raw = stream_raw(where, text_column, id_column, split=split)  # a bad row fails here, before a write
            added = self._import_raw(raw_sentences(raw.sentences), source=Path(where).name)
            return ImportReport(sentences_added=added, format=raw.format, rows=raw.documents,
                                documents=raw.documents, skipped_empty=raw.skipped_empty)
        result = read_examples(where, fmt, lenient=lenient, keep_bare=True)
        bare = [BareSentence(text, sid or "") for _line, sid, text in result.bare]
        report = self.import_examples(result.examples, source=Path(where).name, where=where, author=author,
                                      bare=bare)
        return replace(report, skipped_conflict=result.skipped_conflict, skipped_mismatch=result.skipped_mismatch,
                       format=result.format)

    def _import_raw(self, sentences: Iterable[BareSentence], source: str) -> int:
        """Raw sentences (no terms) as the splitter yields them, in one transaction: each batch is
        matched, inserted and indexed while the splitter's workers split the next ones, so storing
        overlaps splitting. What ``import_examples`` does with ``bare`` alone; returns the number added."""
        positions: dict[tuple[str, str], int] = {}  # (text, external id) -> position in this file
        added = 0
        with self._write() as s:
            conn = s.connection()
            now = stamp(conn)
            # Only sentences stored before this import can match: the ones it adds are in
            # ``positions`` already. Without the bound each batch re-read every earlier batch's rows
            # of the same texts (876k rows for 198k sentences whose texts repeat).
            before = conn.scalar(select(func.max(Sentence.id))) or 0
            with bulk_insert_sentences(conn) as index_new:
                for batch in batches(sentences, RAW_BATCH):
                    fresh = []
                    for b in batch:
                        if (b.text, b.external_id) not in positions:
                            positions[(b.text, b.external_id)] = len(positions)
                            fresh.append(b)
                    known = self._existing_sentences(conn, [(b.text, b.external_id) for b in fresh], up_to=before)
                    new = [b for b in fresh if (b.text, b.external_id) not in known]
                    _insert_sentences(conn, index_new, new, positions, source, now)
                    added += len(new)
        return added

    def import_examples(self, examples: Sequence[TermExample], source: str = "", *,
                        where: str | None = None, author: str | None = None,
                        bare: Sequence[BareSentence] = ()) -> ImportReport:
        """Add examples (sentences, terms, labels as source "import", by ``self.author``) and ``bare``
        sentences without terms, in one transaction.

        ``author``: the file is that annotator's labels. Every labeled row is recorded as theirs,
        also where it equals the current label (their agreement is what team review measures),
        unless their own newest label of the term is that label already (importing the file again
        adds nothing). Being the newest edit, it becomes the current label, a person's label too.
        """
        from core.formats import FormatError

        where = where or source or "<examples>"
        for n, ex in enumerate(examples, 1):
            problem = validate_span(ex.sentence, ex.start, ex.end)
            if problem:
                raise FormatError(where, ex.line, problem + ("" if ex.line is not None else f" (example {n})"))
        keys: dict[tuple[str, str], int] = {}  # (text, external id) -> position in this file
        for ex in examples:
            keys.setdefault((ex.sentence, ex.sentence_id or ""), len(keys))
        documents: dict[tuple[str, str], tuple[str, int]] = {}
        for b in bare:
            keys.setdefault((b.text, b.external_id), len(keys))
            if b.document is not None:
                documents.setdefault((b.text, b.external_id), b.document)
        rows, duplicates, warnings = _file_terms(examples, where)
        with self._write() as s:
            conn = s.connection()
            now = stamp(conn)
            sentence_ids = self._existing_sentences(conn, list(keys))
            new_sentences = [k for k in keys if k not in sentence_ids]
            if new_sentences:
                with bulk_insert_sentences(conn) as index_new:
                    ids = _insert_sentences(conn, index_new, [BareSentence(t, e, documents.get((t, e)))
                                                              for t, e in new_sentences], keys, source, now)
                sentence_ids.update(zip(new_sentences, ids))
            old_ids = sorted(set(sentence_ids.values()) - {sentence_ids[k] for k in new_sentences})
            # (sentence id, start, end, category) -> [term id, current label, current source]
            terms = self._existing_terms(conn, old_ids)
            own = self._own_labels(conn, [t[0] for t in terms.values()], author) if author else {}
            new_terms: list[tuple[int, int, int, str]] = []
            events: list[tuple[tuple[int, int, int, str], str]] = []
            kept_human = 0
            for (text, ext, start, end, category), label in rows.items():
                key = (sentence_ids[(text, ext)], start, end, category)
                term = terms.get(key)
                if term is None:
                    term = terms[key] = [None, None, None]
                    new_terms.append(key)
                if author and label is not None:
                    if term[0] is not None and own.get(term[0]) == label:
                        continue
                elif label is None or label == term[1]:
                    continue
                elif term[2] == "human":
                    kept_human += 1
                    continue
                if term[0] is not None and len(term) == 3:
                    term.append("changed")
                term[1], term[2] = label, "import"
                events.append((key, label))
            if new_terms:
                values = [{"sentence_id": k[0], "start": k[1], "end": k[2], "category": k[3],
                           "current_label": terms[k][1], "current_source": terms[k][2], "created_at": now}
                          for k in new_terms]
                for k, tid in zip(new_terms, insert_rows(conn, Term.__table__, values, want_ids=True)):
                    terms[k][0] = tid
            updates = [{"tid": t[0], "cl": t[1], "cs": t[2]} for t in terms.values() if len(t) > 3]
            if updates:
                conn.execute(update(Term).where(Term.id == bindparam("tid")).values(
                    current_label=bindparam("cl"), current_source=bindparam("cs")), updates)
                refresh_uncertainty(conn, [k[0] for k, t in terms.items() if len(t) > 3])
            if events:
                insert_rows(conn, Label.__table__, [{"term_id": terms[k][0], "polarity": p, "source": "import",
                                                     "action": "set", "created_at": now,
                                                     "author": author or self.author}
                                                    for k, p in events])
                refresh_disputed(conn, [terms[k][0] for k, _p in events])
        return ImportReport(sentences_added=len(new_sentences), terms_added=len(new_terms), labels_added=len(events),
                            kept_human=kept_human, rows=len(examples), duplicates=duplicates,
                            conflicts_in_file=len(warnings), warnings=tuple(warnings[:MAX_WARNINGS]))

    @staticmethod
    def _existing_sentences(conn: Any, keys: list[tuple[str, str]],
                            up_to: int | None = None) -> dict[tuple[str, str], int]:
        """{(text, external id): sentence id} of the stored ones among ``keys`` (ids <= ``up_to``)."""
        wanted = set(keys)
        found: dict[tuple[str, str], int] = {}
        if up_to == 0:
            return found
        texts = sorted({t for t, _ in keys})
        for chunk in _chunks(texts):
            where = sentence_lookup(conn.dialect.name, list(chunk))
            if up_to is not None:
                where = where & (Sentence.id <= up_to)
            for sid, text, ext in conn.execute(select(Sentence.id, Sentence.text, Sentence.external_id).where(where)):
                if (text, ext) in wanted:
                    found[(text, ext)] = sid
        return found

    @staticmethod
    def _existing_terms(conn: Any, sentence_ids: list[int]) -> dict[tuple[int, int, int, str], list[Any]]:
        terms: dict[tuple[int, int, int, str], list[Any]] = {}
        for chunk in _chunks(sentence_ids):
            for r in conn.execute(select(Term.id, Term.sentence_id, Term.start, Term.end, Term.category,
                                         Term.current_label, Term.current_source).where(Term.sentence_id.in_(chunk))):
                terms[(r.sentence_id, r.start, r.end, r.category)] = [r.id, r.current_label, r.current_source]
        return terms

    @staticmethod
    def _own_labels(conn: Any, term_ids: list[int], author: str) -> dict[int, str | None]:
        """{term id: ``author``'s own newest human/import label} for these terms."""
        from core.storage.review import annotator_rows

        found: dict[int, str | None] = {}
        for chunk in _chunks(sorted(term_ids)):
            rows = annotator_rows(list(chunk)).subquery()
            for term_id, value in conn.execute(select(rows.c.term_id, rows.c.polarity).where(rows.c.author == author)):
                found[term_id] = value
        return found

    # -- export ------------------------------------------------------------------------------------

    def export_rows(self, with_predictions: bool = False) -> tuple[list[TermExample], list[Prediction | None] | None]:
        """What an export writes: labeled terms (all terms with predictions), in term order, each
        with its final label (the adjudicated one where there is one, else the current one)."""
        _ids, examples, predictions, _documents = self._export_rows(with_predictions)
        return examples, predictions

    def _export_rows(self, with_predictions: bool, annotated: bool = False
                     ) -> tuple[list[int], list[TermExample], list[Prediction | None] | None,
                                list[tuple[str, int] | None]]:
        """(term ids, examples, predictions, the raw document (id, position) of each one's sentence);
        ``annotated``: also terms only annotators' labels keep."""
        from core.storage.review import annotator_rows, final_label

        with self._read() as s:
            final = final_label().label("final")
            query = (select(Term.id, Sentence.text, Sentence.external_id, Term.start, Term.end, Term.category,
                            final, Term.pred_label, Term.pred_p_negative, Term.pred_p_neutral,
                            Term.pred_p_positive, SentenceDocument.document_id, SentenceDocument.document_position)
                     .join(Sentence, Sentence.id == Term.sentence_id)
                     .outerjoin(SentenceDocument, SentenceDocument.sentence_id == Sentence.id).order_by(Term.id))
            if with_predictions:
                if self._active_version_id(s) is None:
                    raise StoreError("no active model: train one (or activate one) before exporting predictions")
            elif annotated:
                labeled = annotator_rows().subquery()
                query = query.where(final.is_not(None) | Term.id.in_(
                    select(labeled.c.term_id).where(labeled.c.polarity.is_not(None))))
            else:
                query = query.where(final.is_not(None))
            ids: list[int] = []
            examples: list[TermExample] = []
            predictions: list[Prediction | None] = []
            documents: list[tuple[str, int] | None] = []
            for r in s.execute(query):
                label = Polarity(r.final) if r.final is not None else None
                ids.append(r.id)
                examples.append(TermExample(r.text, r.start, r.end, label, r.category, r.external_id or None))
                documents.append((r.document_id, r.document_position) if r.document_id is not None else None)
                if r.pred_label is not None:
                    probs = (float(r.pred_p_negative), float(r.pred_p_neutral), float(r.pred_p_positive))
                    predictions.append(Prediction(Polarity(r.pred_label), probs))
                else:
                    predictions.append(None)
        return ids, examples, (predictions if with_predictions else None), documents

    def export_file(self, path: str | os.PathLike[str], fmt: str | None = None, with_predictions: bool = False,
                    all_annotators: bool = False) -> int:
        """Write the final labels (or every term with the active model's predictions); return the row count.

        Terms of sentences split from raw text carry their document id and position (jsonl, csv).
        ``all_annotators`` (JSONL and CSV): every annotator's own label of each term beside the final one."""
        from core.formats import write_examples

        if all_annotators:
            from core.storage.review_export import write_with_annotators

            ids, examples, predictions, _documents = self._export_rows(with_predictions, annotated=True)
            _nothing_to_export(examples, with_predictions)
            write_with_annotators(path, fmt, examples, predictions, self._annotator_map(ids))
            return len(examples)
        _ids, examples, predictions, documents = self._export_rows(with_predictions)
        _nothing_to_export(examples, with_predictions)
        write_examples(path, examples, fmt, predictions=predictions, documents=documents)
        return len(examples)

    def _annotator_map(self, term_ids: list[int]) -> list[dict[str, str | None]]:
        """For each term id (in that order): {annotator: their own newest label}."""
        from core.storage.review import annotator_rows

        by_term: dict[int, dict[str, str | None]] = {}
        with self._read() as s:
            rows = annotator_rows().subquery()
            for term_id, author, value in s.execute(select(rows.c.term_id, rows.c.author, rows.c.polarity)):
                by_term.setdefault(term_id, {})[author] = value
        return [by_term.get(t, {}) for t in term_ids]


def _nothing_to_export(examples: Sequence[TermExample], with_predictions: bool) -> None:
    if not examples:
        raise StoreError("nothing to export: the project has no " + ("terms" if with_predictions else "labeled terms"))
