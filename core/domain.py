"""The domain: polarity labels and aspect-term examples.

One label order for the whole project (``LABELS``): models, metrics and files all
index classes through it, so a probability vector means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Polarity(str, Enum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"

    @property
    def index(self) -> int:
        return LABELS.index(self)

    @classmethod
    def parse(cls, text: str) -> "Polarity":
        """Parse a label written by people or files ("Positive", " neg ", "1")."""
        key = text.strip().lower()
        if key in _ALIASES:
            return _ALIASES[key]
        raise ValueError(f"unknown polarity {text!r} (expected one of: negative, neutral, positive)")


LABELS: tuple[Polarity, ...] = (Polarity.NEGATIVE, Polarity.NEUTRAL, Polarity.POSITIVE)
LABEL_NAMES: tuple[str, ...] = tuple(p.value for p in LABELS)

_ALIASES: dict[str, Polarity] = {
    "negative": Polarity.NEGATIVE, "neg": Polarity.NEGATIVE, "-1": Polarity.NEGATIVE,
    "neutral": Polarity.NEUTRAL, "neu": Polarity.NEUTRAL, "0": Polarity.NEUTRAL,
    "positive": Polarity.POSITIVE, "pos": Polarity.POSITIVE, "1": Polarity.POSITIVE, "+1": Polarity.POSITIVE,
}


@dataclass(frozen=True)
class TermExample:
    """A term (character span ``[start, end)``) inside a sentence, with an optional label.

    ``sentence_id`` is the id the source file gives the sentence (SemEval XML), if any;
    ``line`` is where the row came from, for error messages.
    """

    sentence: str
    start: int
    end: int
    polarity: Polarity | None = None
    category: str = ""
    sentence_id: str | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def term(self) -> str:
        return self.sentence[self.start:self.end]

    def with_polarity(self, polarity: Polarity | None) -> "TermExample":
        return TermExample(self.sentence, self.start, self.end, polarity, self.category,
                           self.sentence_id, self.line)


def validate_span(sentence: str, start: int, end: int) -> str | None:
    """Return why ``(start, end)`` is not a usable term span of ``sentence``, or None if it is."""
    if not sentence.strip():
        return "empty sentence"
    if start < 0 or end > len(sentence):
        return f"span {start}:{end} lies outside the sentence (length {len(sentence)})"
    if start >= end:
        return f"span {start}:{end} is empty or reversed"
    if not sentence[start:end].strip():
        return f"span {start}:{end} covers only whitespace"
    return None


def find_term(sentence: str, term: str) -> tuple[int, int]:
    """Locate ``term`` in ``sentence`` (first exact, then case-insensitive match).

    Raises ValueError when the term does not occur.
    """
    if not term.strip():
        raise ValueError("empty term")
    pos = sentence.find(term)
    if pos < 0:
        pos = sentence.lower().find(term.lower())
    if pos < 0:
        raise ValueError(f"term {term!r} does not occur in the sentence")
    return pos, pos + len(term)


@dataclass(frozen=True)
class Prediction:
    """A model's answer for one term: the label and the probabilities in ``LABELS`` order."""

    label: Polarity
    probabilities: tuple[float, float, float]

    @property
    def confidence(self) -> float:
        return max(self.probabilities)

    def as_dict(self) -> dict[str, float]:
        return {name: round(float(p), 6) for name, p in zip(LABEL_NAMES, self.probabilities)}
