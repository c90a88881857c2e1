"""Rebuild the starter model shipped in resources/starter_model (`make starter`).

A small LoRA adapter with its head, trained on the public SemEval-2014 restaurant and laptop
train files, so the first click in a new project already means something. Only the adapter,
the head and the tokenizer are saved (a few MB); the base encoder is the bundled MiniLM.

A grouped 10 % of the sentences is held out and scored, and that score is stored in the model.
Never report a score on centrale/devdata.csv with this model: half of its sentences are in the
restaurant train file (see ../shared/data/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import grouped_folds, load, replace_shipped, shared_data_dir, shown_path  # noqa: E402


def main() -> None:
    from core.ml.config import TrainConfig
    from core.ml.train import train
    from core.paths import starter_model_dir

    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--out", default=str(starter_model_dir()))
    ap.add_argument("--limit", type=int, default=None, help="first N rows per file (smoke test)")
    ap.add_argument("--calibrate-only", action="store_true",
                    help="fit the shipped model's temperature on its held-out 10 %% and write it to model.json")
    args = ap.parse_args()

    data = shared_data_dir() / "semeval14"
    examples = load(data / "restaurants_train.tsv")[: args.limit] + load(data / "laptops_train.tsv")[: args.limit]
    folds = grouped_folds(examples, 10, seed=0)
    held = set(folds[0])
    train_set = [e for i, e in enumerate(examples) if i not in held]
    holdout = [examples[i] for i in sorted(held)]
    if args.calibrate_only:
        calibrate_shipped(Path(args.out), holdout)
        return
    cfg = TrainConfig.for_engine("lora", epochs=(args.epochs, 0), select_best=False, seed=13)
    started = time.perf_counter()
    result = train(cfg, train_set, holdout, on_progress=_print_progress)
    result.model.info["starter"] = {
        "trained_on": ["semeval14/restaurants_train.tsv", "semeval14/laptops_train.tsv"],
        "holdout": "a grouped 10% of those sentences", "holdout_metrics": result.metrics,
        "warning": "trained on SemEval-2014 restaurants: do not score it on centrale/devdata.csv",
    }
    out = Path(args.out)
    # No ONNX export in resources/ (~110 MB): the first use builds it into the user cache.
    size = replace_shipped(out, lambda staging: result.model.save(staging, export=False))
    print(json.dumps({"out": shown_path(out),
                      "n_train": len(train_set), "n_holdout": len(holdout),
                      "holdout_accuracy": result.metrics["accuracy"], "holdout_macro_f1": result.metrics["macro_f1"],
                      "train_seconds": round(time.perf_counter() - started, 1), "size_mb": round(size / 2**20, 2)}))


def calibrate_shipped(folder: Path, holdout: list[Any]) -> None:
    """A model trained before every training fitted a temperature: fit one now on the same held-out
    10 % it was scored on (never trained on, never used to pick an epoch), so its stated confidence
    means what it says. model.json is rewritten atomically (temp file, fsync, rename)."""
    import os

    from core.domain import LABELS
    from core.ml import calibration
    from core.ml.model import PolarityModel

    model = PolarityModel.load(folder, device="cpu", precision="float32")
    logits = model.predict_logits([(e.sentence, e.start, e.end) for e in holdout])
    labels = [LABELS.index(e.polarity) for e in holdout]
    t = calibration.fit_temperature(logits, labels)
    record = {"temperature": round(t, 4), "method": "dev (the starter's held-out 10 %)", "n": len(labels),
              **calibration.summary(logits, labels, t)}
    path = folder / "model.json"
    info = json.loads(path.read_text(encoding="utf-8"))
    info["temperature"], info["calibration"] = record["temperature"], record
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(info, indent=2, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    print(json.dumps(record))


def _print_progress(event: Any) -> None:
    if event.step % 50 == 0 or event.step == event.total:
        print(f"  {event.step}/{event.total} {event.message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
