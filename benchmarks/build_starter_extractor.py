"""Rebuild the starter term extractor shipped in resources/starter_extractor (`make starter-extractor`).

A LoRA adapter with its classifier head (a few MB; the base encoder is the bundled MiniLM),
trained on the public SemEval-2014 restaurants and laptops TRAIN XML (never the test sets).
A random 10 % of the sentences is held out: it picks the best epoch and its exact-span score
is stored in model.json (so that score is slightly optimistic).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
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
    started = time.perf_counter()
    result = train_extractor(ExtractorConfig(epochs=args.epochs), train, holdout, on_progress=_print_progress)
    result.model.info["starter"] = {"trained_on": [f"semeval14/{n}" for n in FILES],
                                    "holdout": "a random 10% of those sentences (also picks the best epoch)",
                                    "holdout_metrics": result.metrics}
    out = Path(args.out)
    # No ONNX export in resources/ (~90 MB): first use builds it into the user cache (core.serve.starter).
    size = replace_shipped(out, lambda staging: result.model.save(staging, export=False))
    print(json.dumps({"out": shown_path(out),
                      "n_train": len(train), "n_holdout": len(holdout), "holdout": result.metrics,
                      "history": result.history, "train_seconds": round(time.perf_counter() - started, 1),
                      "size_mb": round(size / 2**20, 2)}))


def _print_progress(event: Any) -> None:
    if event.step % 50 == 0 or event.step == event.total or event.metrics:
        print(f"  {event.step}/{event.total} {event.message} {event.metrics or ''}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
