"""Import and export through ``core.formats``.

An import parses the whole file first (a malformed file raises ``FormatError`` naming file, line
and reason before anything is written), then writes every row in one transaction with bulk
inserts. Sentences are matched by (text, external id) and terms by (sentence, start, end), so
importing a file twice adds nothing. An imported label is recorded only when it differs from the
term's current label, and never replaces a label a person gave in the app (``kept_human``).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Sequence

from sqlalchemy import bindparam, select, update

from core.domain import Polarity, Prediction, TermExample, validate_span
from core.storage.base import StoreBase, stamp
from core.storage.bulk import insert_rows
from core.storage.documents import SentenceDocument
from core.storage.errors import StoreError
from core.storage.records import ImportReport
from core.storage.search import bulk_insert_sentences
from core.storage.schema import Label, Sentence, Term, refresh_uncertainty, sentence_lookup

CHUNK = 500  # ids / texts per IN (...) lookup
MAX_WARNINGS = 20

FileKey = tuple[str, str, int, int, str]  # sentence text, external id, start, end, category


class BareSentence(NamedTuple):
    """A sentence to store without terms: raw text (with its document) or a SemEval sentence
    that has no aspect term (document None)."""

    text: str
    external_id: str
    document: tuple[str, int] | None = None  # (document id, position in it)


def raw_sentences(sentences: Sequence[Any]) -> list[BareSentence]:
    """``core.formats.raw.RawSentence`` -> BareSentence. The external id is ``document:position``
    (SemEval-2016's ``rid:n``), so the same sentence twice in a document is two sentences and
    importing the file again matches every one."""
    return [BareSentence(s.text, f"{s.document_id}:{s.position}", (s.document_id, s.position)) for s in sentences]


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
                    text_column: str | None = None, id_column: str | None = None,
                    split: bool = True) -> ImportReport:
        """Import every example of a file in one transaction (all rows or none).

        Raw text (``.txt``, ``.xlsx``, a CSV / TSV / JSONL with no spans or terms, or any of those
        with ``text_column``) is split into sentences (``split``) and stored without terms, each
        with its document (``id_column``, else its line) and position. SemEval sentences without
        terms are kept too.
        """
        from core.formats import read_examples
        from core.formats.raw import is_raw, read_raw

        where = os.fspath(path)
        if text_column is not None or (fmt is None and is_raw(where)):
            raw = read_raw(where, text_column, id_column, split=split)
            report = self.import_examples([], source=Path(where).name, where=where,
                                          bare=raw_sentences(raw.sentences))
            return replace(report, format=raw.format, rows=raw.documents, documents=raw.documents,
                           skipped_empty=raw.skipped_empty)
        result = read_examples(where, fmt, lenient=lenient, keep_bare=True)
        bare = [BareSentence(text, sid or "") for _line, sid, text in result.bare]
        report = self.import_examples(result.examples, source=Path(where).name, where=where, bare=bare)
        return replace(report, skipped_conflict=result.skipped_conflict, skipped_mismatch=result.skipped_mismatch,
                       format=result.format)

    def import_examples(self, examples: Sequence[TermExample], source: str = "", *,
                        where: str | None = None, bare: Sequence[BareSentence] = ()) -> ImportReport:
        """Add examples (sentences, terms, labels as source "import", by ``self.author``) and ``bare``
        sentences without terms, in one transaction."""
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
                values = [{"text": t, "external_id": e, "source": source, "position": keys[(t, e)], "created_at": now}
                          for t, e in new_sentences]
                with bulk_insert_sentences(conn) as index_new:
                    ids = insert_rows(conn, Sentence.__table__, values, want_ids=True)
                    index_new(ids)
                sentence_ids.update(zip(new_sentences, ids))
                insert_rows(conn, SentenceDocument.__table__,
                            [{"sentence_id": sentence_ids[k], "document_id": documents[k][0],
                              "document_position": documents[k][1]} for k in new_sentences if k in documents])
            old_ids = sorted(set(sentence_ids.values()) - {sentence_ids[k] for k in new_sentences})
            # (sentence id, start, end, category) -> [term id, current label, current source]
            terms = self._existing_terms(conn, old_ids)
            new_terms: list[tuple[int, int, int, str]] = []
            events: list[tuple[tuple[int, int, int, str], str]] = []
            kept_human = 0
            for (text, ext, start, end, category), label in rows.items():
                key = (sentence_ids[(text, ext)], start, end, category)
                term = terms.get(key)
                if term is None:
                    term = terms[key] = [None, None, None]
                    new_terms.append(key)
                if label is None or label == term[1]:
                    continue
                if term[2] == "human":
                    kept_human += 1
                    continue
                if term[0] is not None:
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
                                                     "action": "set", "created_at": now, "author": self.author}
                                                    for k, p in events])
        return ImportReport(sentences_added=len(new_sentences), terms_added=len(new_terms), labels_added=len(events),
                            kept_human=kept_human, rows=len(examples), duplicates=duplicates,
                            conflicts_in_file=len(warnings), warnings=tuple(warnings[:MAX_WARNINGS]))

    @staticmethod
    def _existing_sentences(conn: Any, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        wanted = set(keys)
        found: dict[tuple[str, str], int] = {}
        texts = sorted({t for t, _ in keys})
        for chunk in _chunks(texts):
            for sid, text, ext in conn.execute(select(Sentence.id, Sentence.text, Sentence.external_id)
                                               .where(sentence_lookup(conn.dialect.name, list(chunk)))):
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

    # -- export ------------------------------------------------------------------------------------

    def export_rows(self, with_predictions: bool = False) -> tuple[list[TermExample], list[Prediction | None] | None]:
        """What an export writes: labeled terms (all terms with predictions), in term order."""
        examples, predictions, _ = self._export_rows(with_predictions)
        return examples, predictions

    def _export_rows(self, with_predictions: bool) -> tuple[list[TermExample], list[Prediction | None] | None,
                                                            list[tuple[str, int] | None]]:
        """The examples, their predictions and the raw document (id, position) of each one's sentence."""
        with self._read() as s:
            query = (select(Sentence.text, Sentence.external_id, Term.start, Term.end, Term.category,
                            Term.current_label, Term.pred_label, Term.pred_p_negative, Term.pred_p_neutral,
                            Term.pred_p_positive, SentenceDocument.document_id, SentenceDocument.document_position)
                     .join(Sentence, Sentence.id == Term.sentence_id)
                     .outerjoin(SentenceDocument, SentenceDocument.sentence_id == Sentence.id).order_by(Term.id))
            if with_predictions:
                if self._active_version_id(s) is None:
                    raise StoreError("no active model: train one (or activate one) before exporting predictions")
            else:
                query = query.where(Term.current_label.is_not(None))
            examples: list[TermExample] = []
            predictions: list[Prediction | None] = []
            documents: list[tuple[str, int] | None] = []
            for r in s.execute(query):
                label = Polarity(r.current_label) if r.current_label is not None else None
                examples.append(TermExample(r.text, r.start, r.end, label, r.category, r.external_id or None))
                documents.append((r.document_id, r.document_position) if r.document_id is not None else None)
                if r.pred_label is not None:
                    probs = (float(r.pred_p_negative), float(r.pred_p_neutral), float(r.pred_p_positive))
                    predictions.append(Prediction(Polarity(r.pred_label), probs))
                else:
                    predictions.append(None)
        return examples, (predictions if with_predictions else None), documents

    def export_file(self, path: str | os.PathLike[str], fmt: str | None = None, with_predictions: bool = False) -> int:
        """Write the labels (or every term with the active model's predictions); return the row count.
        Terms of sentences split from raw text carry their document id and position (jsonl, csv)."""
        from core.formats import write_examples

        examples, predictions, documents = self._export_rows(with_predictions)
        if not examples:
            raise StoreError("nothing to export: the project has no " + ("terms" if with_predictions else "labeled terms"))
        write_examples(path, examples, fmt, predictions=predictions, documents=documents)
        return len(examples)
