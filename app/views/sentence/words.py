"""Words and terms of a sentence, without Qt: what a click or a drag snaps to.

Every offset is a Python ``str`` index, the same units as ``TermExample.start/end``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from core.domain import Polarity

# Apostrophes and hyphens join two word parts ("didn't", "wi-fi") but never start or end a word.
JOINERS = frozenset("'\u2019\u02bc-\u2010\u2011")


def is_word_char(ch: str) -> bool:
    """Letters and digits of any script, plus combining marks (a decomposed "café" stays one word)."""
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def word_spans(text: str) -> list[tuple[int, int]]:
    """All words of ``text`` as ``(start, end)``: maximal runs of word characters, joined by
    single internal apostrophes/hyphens. Punctuation and spaces are never part of a word."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if not is_word_char(text[i]):
            i += 1
            continue
        j = i + 1
        while j < n and (is_word_char(text[j]) or
                         (text[j] in JOINERS and j + 1 < n and is_word_char(text[j + 1]))):
            j += 1
        spans.append((i, j))
        i = j
    return spans


def word_at(text: str, offset: int) -> tuple[int, int] | None:
    """The word containing character ``offset``, or None on a space or punctuation."""
    for start, end in word_spans(text):
        if start <= offset < end:
            return start, end
        if start > offset:
            break
    return None


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Grow ``[start, end)`` to whole words: from the first to the last word it touches.

    A drag that starts or ends on a space or a comma still gives a clean phrase; a range
    that touches no word gives None.
    """
    start, end = min(start, end), max(start, end)
    hit = [(s, e) for s, e in word_spans(text) if s < end and e > start]
    if not hit:
        return None
    return hit[0][0], hit[-1][1]


@dataclass(frozen=True)
class TermSpan:
    """A term already known in the sentence: its human ``label`` and/or the model's ``predicted`` one."""

    start: int
    end: int
    label: Polarity | None
    predicted: Polarity | None
    term_id: int | None = None

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end
