"""Sentence splitting of raw texts with pysbd (rule-based, maintained; no model download).

``split(text)`` gives the character spans of the sentences of ``text``, stripped of the spaces
around them. pysbd costs about 0.5 ms even on a text that is one sentence, so a text with no
character where a sentence could end inside it skips pysbd; a test checks that this shortcut
gives what pysbd gives.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# Where pysbd may put a boundary: sentence punctuation, line breaks, list markers.
_MAY_END = frozenset(".!?…;:)\n\r\u2028\u2029。！？")


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd  # imported on first use: `polarity --help` and the app's start stay light

    # clean=False keeps the text as it is, so the pieces join back to it and offsets hold.
    return pysbd.Segmenter(language="en", clean=False)


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def needs_segmenter(text: str) -> bool:
    """False when no sentence can end before the text does (the shortcut past pysbd)."""
    body = text.rstrip()
    if body[-1:] in (".", "!", "?", "…"):
        body = body[:-1]  # one final stop; a run of them, quotes or brackets: pysbd decides
    return any(ch in _MAY_END for ch in body)


def split(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``; none for a blank text."""
    if not needs_segmenter(text):
        whole = _strip(text, 0, len(text))
        return [whole] if whole else []
    spans: list[tuple[int, int]] = []
    at = 0
    for piece in _segmenter().segment(text):
        # With clean=False the pieces are consecutive slices of the text; should one ever not be,
        # the rest of the text stays one sentence rather than get offsets that point elsewhere.
        found = text.find(piece, at)
        if found < 0 or not piece:
            break
        span = _strip(text, found, found + len(piece))
        if span:
            spans.append(span)
        at = found + len(piece)
    rest = _strip(text, at, len(text))
    if rest:
        spans.append(rest)
    return spans
