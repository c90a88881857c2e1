"""Rebuild the starter term extractor shipped in resources/starter_extractor (`make starter-extractor`).

A LoRA adapter with its classifier head (a few MB; the base encoder is the bundled MiniLM),
trained on the public SemEval-2014 restaurants and laptops TRAIN XML (never the test sets).
A random 10 % of the sentences is held out: it picks the best epoch and its exact-span score
is stored in model.json (so that score is slightly optimistic). The holdout also checks the int8
copy of the ONNX export against float32 (``int8_check`` in model.json): the export built into the
user cache on first use serves int8 by default only if that check passed (core/ml/terms/int8.py).
``--int8-check-only`` re-measures that check for the shipped starter without training it again.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import replace_shipped, shared_data_dir, shown_path  # noqa: E402

FILES = ("Restaurants_Train_v2.xml", "Laptop_Train_v2.xml")


def main() -> None:
    from core.ml.terms.data import read_annotated
    from core.ml.terms.extractor import default_extractor_dir
    from core.ml.terms.train import ExtractorConfig, train_extractor

    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--out", default=str(default_extractor_dir()))
    ap.add_argument("--limit", type=int, default=None, help="first N sentences per file (smoke test)")
    ap.add_argument("--int8-check-only", action="store_true",
                    help="re-measure the shipped starter's int8 check on its holdout; no training")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads (0: torch's default); 1 on a shared machine, where two threads "
                         "fighting for busy cores made each step 10x slower")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    data = shared_data_dir() / "semeval14"
    sentences = [s for name in FILES for s in read_annotated(data / name)[: args.limit]]
    order = list(range(len(sentences)))
    random.Random(0).shuffle(order)
    held = set(order[: len(order) // 10])
    train = [s for i, s in enumerate(sentences) if i not in held]
    holdout = [sentences[i] for i in sorted(held)]
    out = Path(args.out)
    if args.int8_check_only:
        return recheck_int8(out, holdout)
    started = time.perf_counter()
    result = train_extractor(ExtractorConfig(epochs=args.epochs), train, holdout, on_progress=_print_progress)
    result.model.info["starter"] = {"trained_on": [f"semeval14/{n}" for n in FILES],
                                    "holdout": "a random 10% of those sentences (also picks the best epoch)",
                                    "holdout_metrics": result.metrics}
    result.model.info["int8_check"] = measure_int8(result.model, holdout)
    # No ONNX export in resources/ (~90 MB): first use builds it into the user cache (core.serve.starter).
    size = replace_shipped(out, lambda staging: result.model.save(staging, export=False))
    print(json.dumps({"out": shown_path(out),
                      "n_train": len(train), "n_holdout": len(holdout), "holdout": result.metrics,
                      "history": result.history, "train_seconds": round(time.perf_counter() - started, 1),
                      "size_mb": round(size / 2**20, 2)}))


def measure_int8(model: Any, holdout: list[Any]) -> dict[str, Any]:
    """Exact-span F1 of the int8 and float32 exports on the holdout: the model saved with its
    export into a temporary folder, scored there through the serving path."""
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp) / "starter", check=holdout)
        return dict(model.info["serving"]["int8_check"])


def recheck_int8(out: Path, holdout: list[Any]) -> None:
    """A fresh ``int8_check`` in the shipped starter's model.json; its other files stay as they are."""
    from core.ml.terms.extractor import TermExtractor
    from core.serve.quantize import write_json_atomically

    info = json.loads((out / "model.json").read_text(encoding="utf-8"))
    info["int8_check"] = measure_int8(TermExtractor.load(out, device="cpu"), holdout)
    write_json_atomically(out / "model.json", info)
    print(json.dumps({"out": shown_path(out), "int8_check": info["int8_check"]}))


def _print_progress(event: Any) -> None:
    if event.step % 50 == 0 or event.step == event.total or event.metrics:
        print(f"  {event.step}/{event.total} {event.message} {event.metrics or ''}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
