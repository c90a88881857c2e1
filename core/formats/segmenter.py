"""pysbd's English rules with a cheaper abbreviation pass; the sentences are the same.

pysbd's abbreviation pass looks for each of its ~190 English abbreviations in every line: where
the abbreviation occurs anywhere in the line (``st`` is in "best"), it runs two regexes to find
it at a word start and the character after it, and a third to protect its period. That was ~40 %
of pysbd's time on review text. A plain abbreviation (letters and digits) changes the line only
where it stands after a space (or at the start) and right before a period, so this pass hands
pysbd, line by line, only the plain abbreviations that occur that way, and every other one
(``e.g``, ``u.s``: their dots are regex wildcards in pysbd's patterns), in pysbd's order. A
replacement turns a period into pysbd's placeholder, so it never creates an occurrence the filter
could have missed. Lines with a character that Python's case-insensitive matching folds onto an
ASCII letter (dotted I, dotless i, long s, Kelvin sign) keep the whole list, since there
``lower()`` and pysbd's matching disagree. tests/core/test_raw_formats.py compares with pysbd.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Characters that re.IGNORECASE matches with an ASCII letter although lower() does not give it.
_FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")
_BEFORE_PERIOD = re.compile(r"(?:^|(?<=\s))([a-z0-9]+)\.")


@lru_cache(maxsize=1)
def english() -> Any:
    """pysbd's English language with the filtered abbreviation pass (pass it to pysbd's Processor)."""
    from pysbd.lang.english import English

    every = list(English.Abbreviation.ABBREVIATIONS)
    plain: dict[str, list[int]] = {}
    other: list[int] = []
    for i, abbr in enumerate(every):
        if re.fullmatch(r"[a-z0-9]+", abbr.strip()):
            plain.setdefault(abbr.strip(), []).append(i)
        else:
            other.append(i)

    class Replacer(English.AbbreviationReplacer):  # type: ignore[name-defined]
        def search_for_abbreviations_in_string(self, text: str) -> str:
            lowered = text.lower()
            if not _FOLDS_TO_ASCII.isdisjoint(lowered):
                return super().search_for_abbreviations_in_string(text)
            found = {i for word in _BEFORE_PERIOD.findall(lowered) for i in plain.get(word, ())}
            full = self.lang
            self.lang = _OneLine(full, [every[i] for i in sorted(found.union(other))])
            try:
                return super().search_for_abbreviations_in_string(text)
            finally:
                self.lang = full

    class FilteredEnglish(English):  # type: ignore[misc, valid-type]
        AbbreviationReplacer = Replacer

    return FilteredEnglish


class _Abbreviations:
    """pysbd's abbreviation lists, with ABBREVIATIONS cut to those that can change one line."""

    def __init__(self, full: Any, kept: list[str]):
        self._full = full
        self.ABBREVIATIONS = kept

    def __getattr__(self, name: str) -> Any:
        return getattr(self._full, name)


class _OneLine:
    """The language as pysbd's abbreviation pass sees it for one line."""

    def __init__(self, lang: Any, kept: list[str]):
        self._lang = lang
        self.Abbreviation = _Abbreviations(lang.Abbreviation, kept)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lang, name)
