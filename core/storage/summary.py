"""The aspect summary: per term, how often it is mentioned and how people feel about it.

Terms are grouped case-folded, with the plural of the last word merged into its singular by
lemminflect (a maintained dictionary lemmatiser, ~2 s to load on a busy machine, no model);
without it the grouping is exact. Each mention counts once, by what it is:
a labeled term (human, import, adjudication or accepted prediction) -> ``labeled``; an unlabeled
term -> ``predicted`` (its polarity the active model's prediction, or for an accepted suggestion
the suggestion's); an open suggestion -> ``suggested`` (left out with ``accepted_only``), with its
predicted polarity. A mention with no polarity at all also counts as ``unknown``. ``negative``/``neutral``/``positive`` add the three up, so
``project suggest`` then ``project summary`` is a whole analysis with no labeling.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from core.formats._common import atomic_write_text
from core.storage.base import StoreBase
from core.storage.schema import Sentence, Term
from core.storage.suggestions import OPEN, TermSuggestion

POLARITIES = ("negative", "neutral", "positive")
SOURCES = ("labeled", "predicted", "suggested")
_SPACES = re.compile(r"\s+")
_NO_OOV = ("ss", "us", "is", "os")  # endings a guessed singular would mangle (glass, bus, ios)


@dataclass(frozen=True)
class AspectSummary:
    term: str                 # the most frequent spelling of the group, case-folded
    mentions: int
    negative: int
    neutral: int
    positive: int
    labeled: int              # mentions that are labeled terms
    predicted: int            # mentions that are unlabeled terms (their polarity, if any, predicted)
    suggested: int            # mentions that are open suggestions
    unknown: int              # mentions with no label and no prediction
    shares: dict[str, float]  # of the mentions with a polarity
    by_source: dict[str, dict[str, int]]
    examples: tuple[str, ...] = ()
    forms: tuple[str, ...] = field(default=())  # every spelling merged into this row

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["examples"], out["forms"] = list(self.examples), list(self.forms)
        return out


@lru_cache(maxsize=1)
def _lemma_fn() -> Any:
    try:
        from lemminflect import getLemma
    except ImportError:  # grouping falls back to exact (case-folded) terms
        return None
    return getLemma


@lru_cache(maxsize=65536)
def _singular(word: str) -> str:
    get = _lemma_fn()
    if get is None or len(word) < 4 or not word.isalpha() or not word.endswith("s"):
        return word
    known = get(word, upos="NOUN", lemmatize_oov=False)
    if known:
        return known[0]
    if word.endswith(_NO_OOV):
        return word
    guessed = get(word, upos="NOUN", lemmatize_oov=True)
    return guessed[0] if guessed else word


def aspect_key(term: str) -> str:
    """The group a term falls in: case-folded, spaces collapsed, its last word made singular."""
    words = _SPACES.sub(" ", term.strip()).casefold().split(" ")
    words[-1] = _singular(words[-1])
    return " ".join(words)


class _Group:
    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {src: Counter() for src in SOURCES}
        self.forms: Counter[str] = Counter()
        self.examples: list[tuple[int, str]] = []  # (rank: labeled first, sentence)

    def add(self, form: str, source: str, label: str | None, sentence: str, n_examples: int) -> None:
        self.forms[form] += 1
        self.counts[source][label or "none"] += 1
        rank = SOURCES.index(source) if label else 3
        if sentence not in (e[1] for e in self.examples):
            self.examples.append((rank, sentence))
            self.examples.sort(key=lambda e: e[0])
            del self.examples[n_examples:]

    def row(self) -> AspectSummary:
        by_source = {src: {p: int(self.counts[src][p]) for p in POLARITIES} for src in SOURCES}
        totals = {p: sum(by_source[src][p] for src in SOURCES) for p in POLARITIES}
        with_polarity = sum(totals.values())
        mentions = {src: sum(self.counts[src].values()) for src in SOURCES}
        shares = {p: round(totals[p] / with_polarity, 4) if with_polarity else 0.0 for p in POLARITIES}
        return AspectSummary(self.forms.most_common(1)[0][0], sum(mentions.values()), totals["negative"],
                             totals["neutral"], totals["positive"], mentions["labeled"], mentions["predicted"],
                             mentions["suggested"], sum(mentions.values()) - with_polarity,
                             shares, by_source, tuple(e[1] for e in self.examples), tuple(sorted(self.forms)))


class SummaryMixin(StoreBase):
    def aspect_summary(self, top: int | None = None, accepted_only: bool = False, examples: int = 3,
                       terms: Sequence[str] | None = None) -> list[AspectSummary]:
        """Rows by mentions (most first); ``terms``: only these aspects (as ``aspect_key`` groups them)."""
        wanted = {aspect_key(t) for t in terms} if terms else None
        groups: dict[str, _Group] = {}

        def add(text: str, start: int, end: int, source: str, label: str | None) -> None:
            form = _SPACES.sub(" ", text[start:end].strip()).casefold()
            key = aspect_key(form)
            if wanted is None or key in wanted:
                groups.setdefault(key, _Group()).add(form, source, label, text, examples)

        with self._read() as s:
            accepted = (select(TermSuggestion.term_id, TermSuggestion.pred_label)
                        .where(TermSuggestion.state == "accepted", TermSuggestion.term_id.is_not(None)).subquery())
            query = (select(Sentence.text, Term.start, Term.end, Term.current_label, Term.pred_label,
                            accepted.c.pred_label.label("suggested_label"))
                     .join(Sentence, Sentence.id == Term.sentence_id)
                     .join(accepted, accepted.c.term_id == Term.id, isouter=True))
            for row in s.execute(query.execution_options(yield_per=4096)):
                if row.current_label:
                    add(row.text, row.start, row.end, "labeled", row.current_label)
                else:
                    add(row.text, row.start, row.end, "predicted", row.pred_label or row.suggested_label)
            if not accepted_only:
                query = (select(Sentence.text, TermSuggestion.start, TermSuggestion.end, TermSuggestion.pred_label)
                         .join(Sentence, Sentence.id == TermSuggestion.sentence_id).where(OPEN))
                for row in s.execute(query.execution_options(yield_per=4096)):
                    add(row.text, row.start, row.end, "suggested", row.pred_label)
        rows = sorted((g.row() for g in groups.values()), key=lambda r: (-r.mentions, r.term))
        return rows[:top] if top is not None else rows


CSV_COLUMNS = ("term", "mentions", "negative", "neutral", "positive", "share_negative", "share_neutral",
               "share_positive", "labeled", "predicted", "suggested", "unknown", "forms", "example")


def summary_csv(rows: Sequence[AspectSummary]) -> str:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for r in rows:
        out.writerow([r.term, r.mentions, r.negative, r.neutral, r.positive, r.shares["negative"],
                      r.shares["neutral"], r.shares["positive"], r.labeled, r.predicted, r.suggested, r.unknown,
                      "|".join(r.forms), r.examples[0] if r.examples else ""])
    return buf.getvalue()


def write_summary_csv(path: str, rows: Sequence[AspectSummary]) -> None:
    """Written atomically: the file is complete or left as it was."""
    atomic_write_text(path, summary_csv(rows))
