"""Prediction with onnxruntime: the saved tokenizer (``tokenizers``), the exported network, numpy.

Nothing here imports torch or transformers; tests/core/test_serve_imports.py checks it in a
fresh process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from core.domain import LABELS, Prediction, TermExample
from core.ml.encoding import TermEncoder, length_buckets
from core.serve.calibrate import probabilities, temperature_of
from core.serve.info import ModelLoadError
from core.serve.runs import in_order, plan
from core.serve.tokenizer import FastTokenizer

Progress = Callable[[int, int, str], None]


def to_prediction(probs: Sequence[float]) -> Prediction:
    best = max(range(len(LABELS)), key=lambda i: probs[i])
    return Prediction(LABELS[best], (float(probs[0]), float(probs[1]), float(probs[2])))


def open_session(path: Path, threads: int = 0) -> Any:
    """An onnxruntime CPU session; a missing or damaged file is a ModelLoadError naming it."""
    import onnxruntime as ort

    if not path.is_file():
        raise ModelLoadError(f"{path.parent}: missing {path.name}")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: no optimizer chatter on the CLI's stderr
    # Idle threads sleep instead of spinning: the app's GUI thread and other programs share the cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.intra_op_num_threads = plan(threads)[0]  # auto: one core a run, runs side by side
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for a truncated or foreign file
        reason = (str(exc).strip().splitlines() or [""])[0]  # onnxruntime's messages run over lines
        raise ModelLoadError(f"{path}: cannot load the ONNX export ({type(exc).__name__}: {reason})") from exc


class OnnxPredictor:
    """Same calls and results as PolarityModel's prediction methods, served by onnxruntime."""

    runtime = "onnx"
    device = "cpu"

    def __init__(self, session: Any, encoder: TermEncoder, info: dict[str, Any], precision: str,
                 runs: int = 1):
        self.session = session
        self.runs = runs  # batches run side by side (core.serve.runs)
        self.encoder = encoder
        self.info = info
        self.precision = precision
        self.temperature = temperature_of(info)
        self._inputs = [i.name for i in session.get_inputs()]

    @classmethod
    def load(cls, folder: Path, onnx_path: Path, info: dict[str, Any], precision: str,
             threads: int = 0) -> "OnnxPredictor":
        session = open_session(onnx_path, threads)
        try:
            enc = info["encoding"]
            tokenizer = FastTokenizer.from_folder(folder / "tokenizer")
            encoder = TermEncoder.from_tokenizer(tokenizer, enc["style"], int(enc["max_length"]), enc.get("markers"))
        except Exception as exc:
            raise ModelLoadError(f"{folder}: cannot read its tokenizer ({type(exc).__name__}: {exc})") from exc
        return cls(session, encoder, info, precision, plan(threads)[1])

    # -- prediction (the PolarityModel interface) ----------------------------------------------
    def predict(self, examples: Sequence[TermExample], batch_size: int = 32,
                on_progress: Progress | None = None) -> list[Prediction]:
        probs = self.predict_proba([(e.sentence, e.start, e.end) for e in examples], batch_size, on_progress)
        return [to_prediction(p) for p in probs]

    def predict_one(self, sentence: str, start: int, end: int) -> Prediction:
        return to_prediction(self.predict_proba([(sentence, start, end)])[0])

    def predict_many(self, items: Sequence[tuple[str, int, int]], batch_size: int = 32,
                     on_progress: Progress | None = None) -> list[Prediction]:
        return [to_prediction(p) for p in self.predict_proba(items, batch_size, on_progress)]

    def predict_proba(self, items: Sequence[tuple[str, int, int]], batch_size: int = 32,
                      on_progress: Progress | None = None) -> list[list[float]]:
        return self.predict_arrays(items, batch_size, on_progress)[1].tolist()

    def predict_arrays(self, items: Sequence[tuple[str, int, int]], batch_size: int = 32,
                       on_progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(logits, probabilities) as arrays of shape (len(items), 3), in the order of ``items``."""
        encoded = self.encoder.encode_many(items)
        logits = np.zeros((len(encoded), len(LABELS)), dtype=np.float32)
        batches = length_buckets([len(e.input_ids) for e in encoded], batch_size, None)
        done = 0
        feeds = (self._feed(encoded, idx) for idx in batches)  # built as the runs take them: flat memory
        for idx, out in zip(batches, in_order(self._run, feeds, min(self.runs, len(batches)))):
            logits[idx] = out
            done += len(idx)
            if on_progress:
                on_progress(done, len(encoded), "predicting")
        return logits, probabilities(logits, self.temperature)

    def _feed(self, encoded: Sequence[Any], idx: Sequence[int]) -> dict[str, np.ndarray]:
        rows = self.encoder.padded([encoded[i] for i in idx])
        return {name: np.asarray(rows[name], dtype=np.int64) for name in self._inputs}

    def _run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(["logits"], feed)[0]
