"""Batch prediction of a whole file: any supported format in, JSONL with probabilities out.

The input is streamed (tsv and jsonl are parsed line by line), terms are predicted in chunks
and written as they come to a temporary file renamed at the end: memory stays flat whatever
the file size, and a failure (a bad line far down the file) leaves no half-written output.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from core.domain import TermExample

CHUNK = 2048


def prediction_record(example: TermExample, label: str, probabilities: dict[str, float]) -> dict[str, Any]:
    rec: dict[str, Any] = {"text": example.sentence, "start": example.start, "end": example.end,
                           "term": example.term}
    if example.sentence_id is not None:
        rec["id"] = example.sentence_id
    if example.category:
        rec["category"] = example.category
    if example.polarity is not None:
        rec["label"] = example.polarity.value
    rec["prediction"] = label
    rec["probabilities"] = probabilities
    return rec


def chunks(items: Iterable[TermExample], size: int) -> Iterator[list[TermExample]]:
    chunk: list[TermExample] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def predict_file(model: Any, input_path: str, output_path: str, *, fmt: str | None = None, batch_size: int = 32,
                 on_progress: Callable[[int, int, str], None] | None = None, lenient: bool = False) -> dict[str, Any]:
    """Stream ``input_path`` through the model (a PolarityModel or a core.serve predictor) into JSONL
    at ``output_path``, in constant memory. ``lenient`` skips rows whose term does not match its span."""
    from core.formats import detect_format
    from core.formats.stream import count_lines, iter_examples

    name = detect_format(input_path, fmt)
    total = count_lines(input_path) if name in ("tsv", "jsonl") else None
    return predict_stream(model, iter_examples(input_path, name, lenient=lenient), total, output_path,
                          batch_size=batch_size, on_progress=on_progress)


def predict_stream(model: Any, examples: Iterable[TermExample], total: int | None, output_path: str, *,
                   batch_size: int = 32, on_progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """Predict ``examples`` chunk by chunk and write JSONL; memory stays bounded by the chunk size."""
    out = Path(output_path)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    started = time.perf_counter()
    done = 0
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            for chunk in chunks(examples, CHUNK):
                preds = model.predict(chunk, batch_size=batch_size)
                fh.writelines(json.dumps(prediction_record(e, p.label.value, p.as_dict()), ensure_ascii=False) + "\n"
                              for e, p in zip(chunk, preds))
                done += len(chunk)
                if on_progress:
                    on_progress(done, total or done, "predicting")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    return {"output": str(out), "terms": done, "seconds": round(seconds, 2),
            "terms_per_second": round(done / seconds, 1) if seconds > 0 else 0.0}
