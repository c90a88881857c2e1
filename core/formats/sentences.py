"""Sentence splitting of raw texts with pysbd (rule-based, maintained; no model download).

``split(text)`` gives the character spans of the sentences of ``text``, stripped of the spaces
around them. A text with no character where a sentence could end inside it skips pysbd; a test
checks that this shortcut gives what pysbd gives. ``split_many`` splits a file's texts, on every
core when there are many, a repeated text once (pysbd is pure Python: about 0.3 ms a review with
core.formats.segmenter's skipped passes, 1.15 ms without them).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

Spans = list[tuple[int, int]]
# Below this many texts for pysbd, starting worker processes (~1 s) costs more than it saves.
PARALLEL_FROM = 4000
_CHUNK = 1000

# Where pysbd may put a boundary: sentence punctuation, line breaks, list markers.
_MAY_END = frozenset(".!?…;:)\n\r\u2028\u2029。！？")


# pysbd builds regexes from each abbreviation it meets (about 600 patterns on review text), more than
# the 512 that Python's `re` caches: the cache thrashes and ~15 % of pysbd's time goes to
# recompiling. A larger cache (a few MB) keeps them; `re` reads this module global on every miss.
_RE_CACHE = 4096


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd  # imported on first use: `polarity --help` and the app's start stay light

    if getattr(re, "_MAXCACHE", _RE_CACHE) < _RE_CACHE:
        re._MAXCACHE = _RE_CACHE  # type: ignore[attr-defined]

    # clean=False keeps the text as it is, so the pieces join back to it and offsets hold.
    return pysbd.Segmenter(language="en", clean=False)


def _pieces(text: str) -> list[str]:
    """pysbd's sentences of ``text``. ``Segmenter.segment`` then finds each one in the text with a
    regex compiled from it, which is half of its time (a new pattern every sentence, so Python's
    regex cache never helps) and pushes pysbd's own patterns out of that cache; ``split`` finds
    them with ``str.find`` instead. pysbd's processor runs with its English rules and the passes
    skipped that cannot change the text (core.formats.segmenter). Tests check that the result
    equals ``segment``'s."""
    from core.formats.segmenter import english, processor

    _segmenter()  # the regex cache, raised once
    return processor()(text, english()).process() if text else []


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def trimmed(text: str) -> tuple[int, int]:
    """The span of ``text`` without the spaces around it (empty at 0 for a blank text)."""
    return _strip(text, 0, len(text)) or (0, 0)


def needs_segmenter(text: str) -> bool:
    """False when no sentence can end before the text does (the shortcut past pysbd)."""
    body = text.rstrip()
    if body[-1:] in (".", "!", "?", "…"):
        body = body[:-1]  # one final stop; a run of them, quotes or brackets: pysbd decides
    return not _MAY_END.isdisjoint(body)


def split(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``; none for a blank text."""
    if not needs_segmenter(text):
        whole = _strip(text, 0, len(text))
        return [whole] if whole else []
    spans: list[tuple[int, int]] = []
    at = 0
    for piece in _pieces(text):
        # With clean=False the pieces are consecutive slices of the text; should one ever not be,
        # the rest of the text stays one sentence rather than get offsets that point elsewhere.
        found = text.find(piece, at)
        if found < 0 or not piece:
            break
        _keep(text, spans, _strip(text, found, found + len(piece)))
        at = found + len(piece)
    _keep(text, spans, _strip(text, at, len(text)))
    return spans


def _keep(text: str, spans: Spans, span: tuple[int, int] | None) -> None:
    """Add ``span``; one without a letter or digit ("!!" after "better.") joins the sentence before it."""
    if span is None:
        return
    if spans and not any(ch.isalnum() for ch in text[span[0]:span[1]]):
        spans[-1] = (spans[-1][0], span[1])
    else:
        spans.append(span)


def _split_chunk(texts: Sequence[str]) -> list[Spans]:
    return [split(t) for t in texts]


def _workers() -> int:
    if getattr(sys, "frozen", False):
        return 1  # a PyInstaller build would need freeze_support() to spawn workers safely
    from core.serve.runs import cores  # stdlib only; the one count of usable cores

    return cores()


def split_many(texts: Sequence[str]) -> list[Spans]:
    """``split`` of every text, in order; the pysbd work spread over worker processes when large."""
    return list(split_stream(texts))


def split_stream(texts: Sequence[str]) -> Iterator[Spans]:
    """``split`` of each text, in order, as the workers finish them: the caller can store the first
    sentences while the workers still split the rest (core.storage.io's raw import does)."""
    hard = [t for t in texts if needs_segmenter(t)]
    workers = _workers()
    if len(hard) < PARALLEL_FROM or workers < 2:
        yield from (split(t) for t in texts)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # A text that occurs again (survey answers repeat; 5 % of the benchmark's) is split once, and its
    # spans are kept only until its last occurrence.
    left = Counter(hard)
    unique = list(left)
    chunks = [unique[k:k + _CHUNK] for k in range(0, len(unique), _CHUNK)]
    # spawn, not fork: the caller may be a thread of the GUI, and forking a threaded process is unsafe.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    finished = False
    try:
        split_hard = chain.from_iterable(pool.map(_split_chunk, chunks))  # in order, as they finish
        done: dict[str, Spans] = {}
        for text in texts:
            if text not in left:  # needs no pysbd (its count stays in ``left`` at 0 once used up)
                yield split(text)
                continue
            spans = done.pop(text) if text in done else next(split_hard)  # first occurrence: the next result
            left[text] -= 1
            if left[text]:
                done[text] = spans
            yield list(spans)
        finished = True
    finally:
        # A caller that stops early (a failed store) must not wait for the rest of the file's splitting.
        pool.shutdown(wait=finished, cancel_futures=not finished)
