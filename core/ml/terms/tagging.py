"""What both extractor runtimes (torch, onnxruntime) share, torch-free: the folder description,
batching by length, and turning per-word tag probabilities into term spans.

``TermExtractor`` (core.ml.terms.extractor, torch) and ``OnnxExtractor``
(core.ml.terms.onnx_extractor) only differ in how they get each word's O/B/I probabilities.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from core.ml.terms.spans import TAGS, Span, best_tags, decode_tags, words
from core.serve.info import MODEL_JSON, ModelLoadError

MODEL_TYPE = "term_extractor"
FORMAT_VERSION = 1
OUTSIDE = [1.0, 0.0, 0.0]  # the probabilities of a word cut off by max_length: O
OUTSIDE_BIAS = 0.5  # log-odds towards O when decoding; chosen by the train-file CV (README)


@dataclass(frozen=True)
class ExtractedTerm:
    start: int
    end: int
    text: str
    score: float  # mean probability of the term's tags (how sure the tagger is of it)


def batches_by_length(lengths: Sequence[int], size: int, seed: int | None) -> list[list[int]]:
    """Batches of similar length (less padding); shuffled in chunks when ``seed`` is given."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    if seed is not None:
        rng = random.Random(seed)
        order = sorted(range(len(lengths)), key=lambda i: (lengths[i] + rng.random() * 4))
    out = [order[i:i + size] for i in range(0, len(order), size)]
    if seed is not None:
        random.Random(seed + 1).shuffle(out)
    return out


def terms_of(text: str, probs: Sequence[Sequence[float]]) -> list[ExtractedTerm]:
    """The terms of ``text`` given each word's O/B/I probabilities (the best valid BIO sequence)."""
    grid = words(text)
    tags = best_tags(probs, OUTSIDE_BIAS)
    terms = []
    for a, b, members in decode_tags(grid, tags):
        start, end = grid[a][0], grid[b - 1][1]
        score = sum(probs[m][tags[m]] for m in members) / len(members)
        terms.append(ExtractedTerm(start, end, text[start:end], round(score, 4)))
    return terms


class Extraction:
    """``extract`` and ``extract_spans`` over a subclass's ``tag_probabilities``."""

    info: dict[str, Any]

    def tag_probabilities(self, texts: Sequence[str], batch_size: int = 64) -> list[list[list[float]]]:
        raise NotImplementedError

    def extract(self, texts: Sequence[str], batch_size: int = 64) -> list[list[ExtractedTerm]]:
        return [terms_of(text, probs) for text, probs in zip(texts, self.tag_probabilities(texts, batch_size))]

    def extract_spans(self, texts: Sequence[str], batch_size: int = 64) -> list[list[Span]]:
        return [[(t.start, t.end) for t in terms] for terms in self.extract(texts, batch_size)]


def read_extractor_info(folder: Path) -> dict[str, Any]:
    path = folder / MODEL_JSON
    if not folder.is_dir():
        raise ModelLoadError(f"{folder}: no such model folder")
    if not path.is_file():
        raise ModelLoadError(f"{folder}: not a Polarity Studio model (no {MODEL_JSON})")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path}: corrupt model description ({exc})") from exc
    if not isinstance(info, dict) or info.get("model_type") != MODEL_TYPE:
        raise ModelLoadError(f"{folder}: not a term extractor (a polarity model?)")
    if list(info.get("tags", [])) != list(TAGS) or info.get("kind") not in ("lora", "full"):
        raise ModelLoadError(f"{path}: incomplete or unknown term extractor description")
    if int(info.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelLoadError(f"{path}: made by a newer Polarity Studio (format {info['format_version']})")
    return info


def default_extractor_dir() -> Path:
    from core.paths import resources_dir

    return resources_dir() / "starter_extractor"
