"""End to end from raw sentences: extract the terms, then the polarity of each.

Used by ``polarity terms extract`` (raw file in, JSONL out) and ``polarity project suggest``
(every sentence of a project, stored as suggestions). Both stream in chunks, so memory stays
flat whatever the number of sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.domain import LABEL_NAMES
from core.ml.events import PREDICTING, TrainingProgress
from core.ml.terms.tagging import ExtractedTerm, Extraction, default_extractor_dir
from core.streams import batches

CHUNK = 512  # sentences per chunk: one extraction batch run, one polarity run, one store transaction


@dataclass(frozen=True)
class AnalysedTerm:
    term: ExtractedTerm
    probabilities: tuple[float, float, float] | None  # negative, neutral, positive; None: no polarity model

    @property
    def polarity(self) -> str | None:
        if self.probabilities is None:
            return None
        return LABEL_NAMES[max(range(3), key=lambda i: self.probabilities[i])]  # type: ignore[index]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"term": self.term.text, "start": self.term.start, "end": self.term.end,
                               "score": self.term.score, "polarity": self.polarity}
        if self.probabilities is not None:
            out["probabilities"] = {n: round(p, 4) for n, p in zip(LABEL_NAMES, self.probabilities)}
        return out


def load_extractor(folder: str | Path | None, device: str = "auto", runtime: str = "auto", *,
                   warn: Callable[[str], None] | None = None, precision: str = "auto") -> Extraction:
    """The extractor in ``folder`` (default: the starter): served by onnxruntime where it has an
    export (the starter's is built into the user cache on first use), else by torch. A broken
    export falls back to torch with one warning line; ``runtime="onnx"`` fails instead.
    ``precision``: auto (the export's default: int8 where its check allowed it), float32, int8
    (onnx only)."""
    from core.ml.terms.onnx_extractor import NO_EXPORT, load_onnx_extractor
    from core.ml.terms.tagging import read_extractor_info
    from core.serve import _stderr_warning
    from core.serve.info import ModelLoadError

    warn = warn or _stderr_warning
    path = Path(folder) if folder is not None else default_extractor_dir()
    if folder is None and not path.is_dir():
        raise ModelLoadError(f"no --model given and no starter extractor at {path}")
    info = read_extractor_info(path)
    if precision == "int8" and (runtime == "torch" or device == "cuda"):
        raise ModelLoadError(f"{path}: int8 is served by onnxruntime on the CPU only")
    if runtime != "torch" and device != "cuda":
        try:
            return load_onnx_extractor(path, info, notify=warn, precision=precision)
        except ModelLoadError as exc:
            if runtime == "onnx" or precision == "int8":
                raise
            if exc.args[:1] != (NO_EXPORT,):  # an older folder without an export: torch, silently
                warn(" ".join(str(exc).split()) + "; extracting with torch instead")
    return _torch_extractor(path, device)


def _torch_extractor(path: Path, device: str) -> Extraction:
    from core.serve.info import ModelLoadError

    try:
        from core.ml.terms.extractor import TermExtractor
    except ImportError as exc:  # a build without torch: onnx is all it has
        raise ModelLoadError(f"{path}: cannot run the term extractor with torch here ({exc})") from exc
    return TermExtractor.load(path, device=device)


def analyse(texts: Sequence[str], extractor: Extraction, predictor: Any | None,
            batch_size: int = 64) -> list[list[AnalysedTerm]]:
    """Terms of each text, each with its polarity probabilities from ``predictor`` (if any)."""
    found = extractor.extract(texts, batch_size)
    items = [(text, t.start, t.end) for text, terms in zip(texts, found) for t in terms]
    probs: list[Any] = list(predictor.predict_proba(items, batch_size=32)) if predictor is not None and items else []
    out: list[list[AnalysedTerm]] = []
    at = 0
    for terms in found:
        row = []
        for t in terms:
            p = tuple(float(x) for x in probs[at]) if probs else None
            row.append(AnalysedTerm(t, p))  # type: ignore[arg-type]
            at += 1
        out.append(row)
    return out


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    return batches(items, size)


@dataclass(frozen=True)
class SuggestReport:
    sentences: int
    suggested: int        # spans the extractor proposed
    added: int            # new open suggestions
    refreshed: int
    known: int            # already terms, or decided before (a rejected one is never proposed again)
    seconds: float


def suggest_project(project: Any, extractor: Extraction, predictor: Any | None, *,
                    on_progress: Callable[[TrainingProgress], None] | None = None,
                    should_stop: Callable[[], bool] | None = None, chunk: int = CHUNK) -> SuggestReport:
    """Suggestions for every sentence of an open ``Project``, one transaction per chunk (a stop
    keeps what was stored; running it again resumes, since stored spans are left as they are)."""
    import time

    from core.storage.suggestions import NewSuggestion

    started = time.perf_counter()
    total = project.count()
    seen = proposed = added = refreshed = known = 0
    name = str(extractor.info.get("name") or extractor.info.get("base_model_name") or "")
    for rows in chunks(project.iter_sentence_texts(chunk), chunk):
        if should_stop is not None and should_stop():
            break
        analysed = analyse([text for _sid, text in rows], extractor, predictor)
        new = [NewSuggestion(sid, a.term.start, a.term.end, a.term.score, a.probabilities)
               for (sid, _text), terms in zip(rows, analysed) for a in terms]
        report = project.store_suggestions(new, extractor=name)
        seen, proposed = seen + len(rows), proposed + len(new)
        added, refreshed, known = added + report.added, refreshed + report.refreshed, known + report.known
        if on_progress is not None:
            on_progress(TrainingProgress(PREDICTING, 0, 0, seen, total))
    return SuggestReport(seen, proposed, added, refreshed, known, round(time.perf_counter() - started, 2))


def project_training_data(project: Any) -> list[Any]:
    """The extractor's training sentences in a project: SemEval imports and sentences marked
    "all terms done" (what a retrain of the extractor reads)."""
    from core.ml.terms.data import AnnotatedSentence
    from core.ml.terms.spans import normalize_spans

    return [AnnotatedSentence(text, normalize_spans(text, spans)) for text, spans in project.annotated_sentences()]
