"""pysbd's English rules, with the passes skipped that cannot change a text: the sentences are
pysbd's own, for much less CPU time.

pysbd runs every one of its ~100 regex rules on every text. Most of them can change a text only
when it holds a certain character, and each skip below checks that character on the text the
pass would see:

- The abbreviation pass looks for each of ~190 abbreviations wherever it occurs in a line (``st``
  is in "best") with two or three regexes each. A plain abbreviation (letters and digits)
  changes a line only where it stands after a space (or at the start) right before a period, so
  pysbd is handed, line by line, only those and every dotted one (``e.g``: its dots are regex
  wildcards there), in its own order. A replacement turns a period into a placeholder, so it
  never creates an occurrence the filter missed. Lines with a character that case-insensitive
  matching folds onto an ASCII letter (dotted I, dotless i, long s, Kelvin sign) keep the whole
  list, since there ``lower()`` and pysbd's matching disagree.
- The list pass: alphabetical and roman lists need a closing parenthesis or a lowercase letter
  after a space right before a period; numbered lists need a digit (or the ``♨`` / ``☝`` marker
  the sub-pass substitutes). Without it the sub-pass's first ``findall`` is empty.
- The number rules and the numeric-reference pattern need a digit; runs of ``!!!`` need ``!`` or ``?``.
- The eight quote, bracket and dash passes each need their opening mark.
- A rule whose pattern is plain text (most rules swap a placeholder such as ``∯`` back; ~25 for
  each sentence) is skipped where that text is absent: ``re.sub`` would give the text back.

The skips sit in subclasses whose methods are pysbd's own code, rebound to a ``Text`` whose
``apply`` makes the last skip (``_rebound``), so no pysbd step is copied here.
tests/core/test_raw_formats.py compares the sentences with pysbd's, by property tests and hand
cases; so did every one of the 71,005 texts of the import benchmark.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from types import FunctionType
from typing import Any, Callable

# Characters that re.IGNORECASE matches with an ASCII letter although lower() does not give it.
_FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")
_BEFORE_PERIOD = re.compile(r"(?:^|(?<=\s))([a-z0-9]+)\.")
# The list sub-passes' triggers (pysbd's own patterns, without case folding, as pysbd reads them).
_LETTER_BEFORE_PERIOD = re.compile(r"(?:^|(?<=\s))[a-z](?=\.)")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=1)
def english() -> Any:
    """pysbd's English language with the filtered abbreviation pass (pass it to pysbd's Processor)."""
    from pysbd.between_punctuation import BetweenPunctuation as Between
    from pysbd.lang.english import English

    every = list(English.Abbreviation.ABBREVIATIONS)
    plain: dict[str, list[int]] = {}
    other: list[int] = []
    for i, abbr in enumerate(every):
        if re.fullmatch(r"[a-z0-9]+", abbr.strip()):
            plain.setdefault(abbr.strip(), []).append(i)
        else:
            other.append(i)

    class Replacer(_rebound(English.AbbreviationReplacer, Text=_gated_text(), re=_GatedRe())):  # type: ignore[misc]
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
        BetweenPunctuation = _rebound(Between, re=_GatedRe())

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


# A rule whose pattern is plain text (no regex operator; escaped marks are plain) cannot match a
# string without that text, so re.sub would hand the string back unchanged: skip it.
_PLAIN = re.compile(r"(?:\\[^A-Za-z0-9]|[^.^$*+?{}\[\]\\|()])+")
_SPACE_DOT, _DOT_SPACE_DOT = re.compile(r"\s\."), re.compile(r"\.\s\.")


def _has(*marks: str) -> Callable[[str], bool]:
    return lambda text: any(m in text for m in marks)


# pysbd's patterns (exactly as pysbd 0.3.4 spells them; another spelling is simply not skipped) with
# what a text needs for them to match at all, read off each pattern.
_NEEDS: dict[str, Callable[[str], bool]] = {
    r"\.(?='s\s)|\.(?='s$)|\.(?='s\Z)": _has(".'s"),
    r"(?<=Co)\.(?=\sKG)": _has("Co."),
    r"(?<=^[A-Z])\.(?=\s)": lambda text: text[1:2] == ".",
    r"(?<= P∯M)∯(?=\s[A-Z])": _has(" P∯M∯"),
    r"(?<=A∯M)∯(?=\s[A-Z])": _has("A∯M∯"),
    r"(?<=p∯m)∯(?=\s[A-Z])": _has("p∯m∯"),
    r"(?<=a∯m)∯(?=\s[A-Z])": _has("a∯m∯"),
    r"(?<=[a-zA-z]°)\.(?=\s*\d+)": _has("°."),
    r'["\”]\s\(.*\)\s["\“]': _has("("),
    r"\n": _has("\n"),
    r"(\s\.){3}\s": lambda text: _SPACE_DOT.search(text) is not None,
    r"(?<=[a-z])(\.\s){3}\.($|\\n)": lambda text: _DOT_SPACE_DOT.search(text) is not None,
    r"(?<=\S)\.{3}(?=\.\s[A-Z])": _has("...."),
    r"\.\.\.(?=\s+[A-Z])": _has("..."),
    r"!Xũ|!Kung|ǃʼOǃKung|!Xuun|!Kung\-Ekoka|ǃHu|ǃKhung|ǃKu|ǃung|ǃXo|ǃXû|ǃXung|ǃXũ|!Xun|Yahoo!|Y!J|Yum!": _has("!", "ǃ"),
    r"""\?(?=(\'|\"))""": _has("?"),
    r"""\!(?=(\'|\"))""": _has("!"),
    r"\!(?=\,\s[a-z])": _has("!"),
    r"\!(?=\s[a-z])": _has("!"),
    r"\(((?=[mdclxvi])m*(c[md]|d?c*)(x[cl]|l?x*)(i[xv]|v?i*))\)(?=\s[A-Z])": _has("("),
    r"&ᓴ&$": _has("&ᓴ&"),
    # the passes that protect punctuation inside quotes, brackets and dashes: each its opening mark
    r"(?<=\s)'(?:[^']|'[a-zA-Z])*'": _has("'"),
    r"(?<=\s)‘(?:[^’]|’[a-zA-Z])*’": _has("‘"),
    r'"(?=(?P<tmp>[^\"\\]+|\\{2}|\\.)*)(?P=tmp)"': _has('"'),
    r"\[(?=(?P<tmp>[^\]\\]+|\\{2}|\\.)*)(?P=tmp)\]": _has("["),
    r"\((?=(?P<tmp>[^\(\)\\]+|\\{2}|\\.)*)(?P=tmp)\)": _has("("),
    r"\«(?=(?P<tmp>[^»\\]+|\\{2}|\\.)*)(?P=tmp)\»": _has("«"),
    r"--(?=(?P<tmp>[^--]*))(?P=tmp)--": _has("--"),
    r"\“(?=(?P<tmp>[^”\\]+|\\{2}|\\.)*)(?P=tmp)\”": _has("“"),
}


@lru_cache(maxsize=None)
def _need(pattern: Any) -> Callable[[str], bool] | None:
    """What a text needs for ``pattern`` to match (None: no skip is known for it)."""
    if not isinstance(pattern, str):
        return None
    if _PLAIN.fullmatch(pattern):
        return _has(re.sub(r"\\(.)", r"\1", pattern))
    return _NEEDS.get(pattern)


def _sub(pattern: Any, repl: Any, string: str, count: int = 0, flags: int = 0) -> str:
    """``re.sub``, skipped where the pattern cannot match (case-sensitive patterns only)."""
    need = None if flags else _need(pattern)
    if need is not None and not need(string):
        return str(string)
    return re.sub(pattern, repl, string, count=count, flags=flags)


class _GatedRe:
    """The ``re`` module as pysbd's rebound methods see it: ``sub`` is ``_sub``."""

    sub = staticmethod(_sub)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)


@lru_cache(maxsize=1)
def _gated_text() -> Any:
    """pysbd's ``Text`` whose ``apply`` skips the rules that cannot match (most of its rules swap a
    placeholder back, ~25 of them for each sentence)."""
    from pysbd.utils import Text

    class GatedText(Text):  # type: ignore[misc, valid-type]
        def apply(self, *rules: Any) -> str:
            text = str(self)
            for rule in rules:
                text = _sub(rule.pattern, rule.replacement, text)
            return text

    return GatedText


def _rebound(cls: Any, **names: Any) -> Any:
    """A subclass of ``cls`` whose methods are pysbd's own code, run with some of the names of
    their module replaced (``Text``, ``re``, ``ListItemReplacer``): pysbd's steps, not copied."""
    methods: dict[str, Any] = {}
    for klass in reversed(cls.__mro__[:-1]):  # base classes first, so that overrides win
        scope = {**vars(sys.modules[klass.__module__]), **names}
        for name, f in vars(klass).items():
            method = f.__func__ if isinstance(f, classmethod) else f
            if isinstance(method, FunctionType):
                bound = FunctionType(method.__code__, scope, method.__name__, method.__defaults__, method.__closure__)
                methods[name] = classmethod(bound) if isinstance(f, classmethod) else bound
    return type(cls.__name__, (cls,), methods)


@lru_cache(maxsize=1)
def processor() -> Any:
    """pysbd's Processor with the passes skipped that cannot change the text (module docstring)."""
    from pysbd.exclamation_words import ExclamationWords
    from pysbd.lists_item_replacer import ListItemReplacer
    from pysbd.processor import Processor

    text, gated_re = _gated_text(), _GatedRe()

    class Lists(_rebound(ListItemReplacer, Text=text, re=gated_re)):  # type: ignore[misc]
        def format_alphabetical_lists(self) -> Any:
            return self._lettered(super().format_alphabetical_lists)

        def format_roman_numeral_lists(self) -> Any:
            return self._lettered(super().format_roman_numeral_lists)

        def _lettered(self, sub_pass: Any) -> Any:
            # Each runs the periods pattern and then the parentheses one: both need their trigger.
            if ")" in self.text or _LETTER_BEFORE_PERIOD.search(self.text):
                return sub_pass()
            return self.text

        def format_numbered_list_with_periods(self) -> None:
            if "\u2668" in self.text or _DIGIT.search(self.text):
                super().format_numbered_list_with_periods()

        def format_numbered_list_with_parens(self) -> None:
            if "\u261d" in self.text or _DIGIT.search(self.text):
                super().format_numbered_list_with_parens()

    class Gated(_rebound(Processor, Text=text, ListItemReplacer=Lists, re=gated_re,
                         ExclamationWords=_rebound(ExclamationWords, re=gated_re))):  # type: ignore[misc]
        # Every Numbers rule and the numeric-reference pattern needs a digit; a run of three ! or ?
        # needs one of them.
        def replace_numbers(self) -> None:
            if _DIGIT.search(self.text):
                super().replace_numbers()

        def replace_periods_before_numeric_references(self) -> None:
            if _DIGIT.search(self.text):
                super().replace_periods_before_numeric_references()

        def replace_continuous_punctuation(self) -> None:
            if "!" in self.text or "?" in self.text:
                super().replace_continuous_punctuation()

    return Gated
