"""The term extractor served by onnxruntime: the saved tokenizer (``tokenizers``), the exported
network, numpy. Imports neither torch nor transformers (tests/core/test_extract_onnx.py checks
it in a fresh process).

The encoding is what ``TermExtractor``'s transformers call does: words pre-split, truncated to
``max_length`` tokens with the tokenizer's own truncation (what transformers asks of the same
Rust tokenizer), padded to the batch's longest, each word read off its first sub-token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.ml.terms.spans import words
from core.ml.terms.tagging import OUTSIDE, Extraction
from core.serve.runs import in_order
from core.serve.info import ModelLoadError


# Padded tokens per session run: on the 2-core machine 16 sentences of ~16 tokens took ~20 % less
# CPU per sentence than 64 (the activations of a small batch stay in the core's cache).
TOKENS_PER_RUN = 256


class OnnxExtractor(Extraction):
    """Same calls and spans as TermExtractor (``extract``, ``extract_spans``, ``tag_probabilities``)."""

    runtime = "onnx"
    device = "cpu"
    def __init__(self, session: Any, tokenizer: Any, pad_id: int, info: dict[str, Any], runs: int = 1,
                 precision: str = "float32"):
        self.session = session
        self.precision = precision  # of the file loaded: "int8" for the int8 copy
        self.runs = runs  # batches run side by side (core.serve.runs)
        self.info = info
        self.max_length = int(info.get("max_length", 128))
        self._tok = tokenizer
        self._pad_id = pad_id
        self._inputs = [i.name for i in session.get_inputs()]

    @classmethod
    def load(cls, folder: Path, onnx_path: Path, info: dict[str, Any], threads: int = 0,
             precision: str = "float32") -> "OnnxExtractor":
        from core.serve.onnx_predictor import open_session
        from core.serve.runs import plan
        from core.serve.tokenizer import FastTokenizer

        session = open_session(onnx_path, threads)
        try:
            fast = FastTokenizer.from_folder(folder / "tokenizer")
            tokenizer = fast.backend
            tokenizer.enable_truncation(int(info.get("max_length", 128)))  # longest_first, as transformers
        except Exception as exc:
            raise ModelLoadError(f"{folder}: cannot read its tokenizer ({type(exc).__name__}: {exc})") from exc
        return cls(session, tokenizer, fast.pad_token_id or 0, info, plan(threads)[1], precision)

    def tag_probabilities(self, texts: Sequence[str], batch_size: int = 64) -> list[list[list[float]]]:
        """Per text, per word: probabilities of O, B, I (words cut off by max_length read O).
        One tokenizer call for all texts, then batches of similar token length (less padding)."""
        grids = [words(t) for t in texts]
        out: list[list[list[float]]] = [[] for _ in texts]
        todo = [i for i, g in enumerate(grids) if g]
        if not todo:
            return out
        encs = self._tok.encode_batch([[texts[i][a:b] for a, b in grids[i]] for i in todo], is_pretokenized=True)
        batches = token_batches([len(e.ids) for e in encs], batch_size, TOKENS_PER_RUN)
        feeds = ([encs[k] for k in batch] for batch in batches)
        for batch, probs in zip(batches, in_order(self._probabilities, feeds, min(self.runs, len(batches)))):
            for row, k in enumerate(batch):
                first = _first_tokens(encs[k].word_ids, len(grids[todo[k]]))
                out[todo[k]] = [probs[row, pos].tolist() if pos >= 0 else list(OUTSIDE) for pos in first]
        return out

    def _probabilities(self, encs: Sequence[Any]) -> np.ndarray:
        """Softmax over the tags of every token of a batch, padded to its longest item."""
        width = max(len(e.ids) for e in encs)
        feed = {"input_ids": np.full((len(encs), width), self._pad_id, dtype=np.int64),
                "attention_mask": np.zeros((len(encs), width), dtype=np.int64),
                "token_type_ids": np.zeros((len(encs), width), dtype=np.int64)}
        for row, e in enumerate(encs):
            n = len(e.ids)
            feed["input_ids"][row, :n] = e.ids
            feed["attention_mask"][row, :n] = 1
            feed["token_type_ids"][row, :n] = e.type_ids
        logits = self.session.run(["logits"], {k: feed[k] for k in self._inputs})[0].astype(np.float32)
        z = np.exp(logits - logits.max(-1, keepdims=True))
        return z / z.sum(-1, keepdims=True)


def token_batches(lengths: Sequence[int], rows: int, tokens: int) -> list[list[int]]:
    """Indices sorted by length, cut into batches of at most ``rows`` items and ``tokens`` padded
    tokens (at least one item each)."""
    out: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda k: lengths[k]):
        if out and len(out[-1]) < rows and (len(out[-1]) + 1) * lengths[i] <= tokens:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _first_tokens(word_ids: Sequence[int | None], n_words: int) -> list[int]:
    """Token position of each word's first sub-token (-1: the word was cut off)."""
    first = [-1] * n_words
    for pos, wid in enumerate(word_ids):
        if wid is not None and first[wid] == -1:
            first[wid] = pos
    return first


STARTER_PREFIX = "starter-extractor"  # its export's folder in the user cache: starter-extractor-<hash>
NO_EXPORT = "no export"


def load_onnx_extractor(folder: Path, info: dict[str, Any], notify: Any = None, threads: int = 0,
                        precision: str = "auto") -> OnnxExtractor:
    """``folder``'s export: its own (saved with it), or for the starter extractor (and copies of it)
    the one in the user cache, built there on first use (needs torch, once). ModelLoadError(NO_EXPORT)
    for a folder that has none. ``precision``: auto (what the export's check chose), float32 or int8."""
    from core.ml.terms.tagging import default_extractor_dir
    from core.serve.info import serving_of
    from core.serve.starter import build_export, cached_export, is_starter_copy

    where, serving = folder, serving_of(info)
    if serving is None and is_starter_copy(folder, default_extractor_dir()):
        where, serving = cached_export(folder, STARTER_PREFIX)
        if serving is None:
            if notify:
                notify(f"building the starter extractor's ONNX export into {where.parent} (once; it takes a while)")
            where, serving = build_export(folder, _write_starter_export, STARTER_PREFIX)
    if serving is None:
        raise ModelLoadError(NO_EXPORT)
    chosen = str(serving.get("precision", "float32")) if precision == "auto" else precision
    name = serving["files"].get(chosen)
    if name is None:
        hint = "; `polarity models export FOLDER` writes it" if chosen == "int8" else ""
        raise ModelLoadError(f"{folder}: no {chosen} ONNX export{hint}")
    return OnnxExtractor.load(folder, where / name, info, threads, chosen)


def _write_starter_export(folder: Path, out: Path) -> dict[str, Any]:
    from core.ml.terms.onnx_export import export_folder  # torch: only when the export is built

    return export_folder(folder, out)
