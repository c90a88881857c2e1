"""Choose training settings by k-fold cross-validation on a TRAIN file (never on the reported dev set).

Runs several worker processes at once (useful on a GPU, which one small encoder leaves idle).
Prints one JSON object: per preset, mean accuracy / macro-F1 / seconds over the folds.

    python benchmarks/cv_sweep.py --train ../shared/data/centrale/traindata.csv --folds 5 --workers 4
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import grouped_folds, load  # noqa: E402

# Candidate settings (TrainConfig overrides). select_best is off: the held-out fold is the test.
PRESETS: dict[str, dict[str, Any]] = {
    "tp-base": {"engine": "two-phase"},
    "tp-pair": {"engine": "two-phase", "input_style": "pair"},
    "tp-lr1e-4": {"engine": "two-phase", "lr": (1e-4, 2e-4)},
    "tp-lr2e-4": {"engine": "two-phase", "lr": (2e-4, 2e-4)},
    "tp-noweights": {"engine": "two-phase", "class_weights": "none"},
    "tp-balanced": {"engine": "two-phase", "class_weights": "balanced"},
    "tp-bs32-lr1e-4": {"engine": "two-phase", "lr": (1e-4, 2e-4), "batch_size": 32},
    "tp-bs32-lr2e-4": {"engine": "two-phase", "lr": (2e-4, 2e-4), "batch_size": 32},
    "tp-headlr1e-3": {"engine": "two-phase", "lr": (1e-4, 1e-3)},
    "tp-2ep-lr1e-4": {"engine": "two-phase", "epochs": (2, 20), "lr": (1e-4, 2e-4)},
    "tp-2ep-lr1e-4-balanced": {"engine": "two-phase", "epochs": (2, 20), "lr": (1e-4, 2e-4),
                               "class_weights": "balanced"},
    "tp-3ep-lr5e-5": {"engine": "two-phase", "epochs": (3, 20), "lr": (5e-5, 2e-4)},
    "tp-3ep-lr1e-4": {"engine": "two-phase", "epochs": (3, 20), "lr": (1e-4, 2e-4)},
    "tp-head5": {"engine": "two-phase", "epochs": (1, 5)},
    "tp-bs32-lr1e-4-head5": {"engine": "two-phase", "lr": (1e-4, 2e-4), "batch_size": 32, "epochs": (1, 5)},
    "tp-maxlen64": {"engine": "two-phase", "max_length": 64},
    "lora-base": {"engine": "lora"},
    "lora-lr5e-4": {"engine": "lora", "lr": (5e-4, 2e-4)},
    "lora-lr2e-3": {"engine": "lora", "lr": (2e-3, 2e-4)},
    "lora-qv": {"engine": "lora", "lora_targets": ("query", "value")},
    "lora-r16": {"engine": "lora", "lora_rank": 16, "lora_alpha": 32},
    "lora-3ep": {"engine": "lora", "epochs": (3, 0)},
    "lora-6ep": {"engine": "lora", "epochs": (6, 0)},
    "lora-pair": {"engine": "lora", "input_style": "pair"},
    "lora-top3": {"engine": "lora", "lora_top_layers": 3},
    "lora-top3-lr2e-3": {"engine": "lora", "lora_top_layers": 3, "lr": (2e-3, 2e-4)},
    "lora-top4-3ep": {"engine": "lora", "lora_top_layers": 4, "epochs": (3, 0)},
    "lora-bs32-lr2e-3": {"engine": "lora", "batch_size": 32, "lr": (2e-3, 2e-4)},
    "lora-3ep-lr2e-3": {"engine": "lora", "epochs": (3, 0), "lr": (2e-3, 2e-4)},
    # For MPNet (--base-model mpnet, a GPU run): a 110 M-parameter encoder wants smaller rates than MiniLM.
    "mp-2ep-lr2e-5": {"engine": "two-phase", "epochs": (2, 20), "lr": (2e-5, 2e-4)},
    "mp-2ep-lr3e-5": {"engine": "two-phase", "epochs": (2, 20), "lr": (3e-5, 2e-4)},
    "mp-3ep-lr3e-5": {"engine": "two-phase", "epochs": (3, 20), "lr": (3e-5, 2e-4)},
    "mp-2ep-lr5e-5": {"engine": "two-phase", "epochs": (2, 20), "lr": (5e-5, 2e-4)},
    "mp-3ep-lr2e-5-bs32": {"engine": "two-phase", "epochs": (3, 20), "lr": (2e-5, 2e-4), "batch_size": 32},
    "mp-lora-4ep-lr5e-4": {"engine": "lora", "epochs": (4, 0), "lr": (5e-4, 2e-4), "batch_size": 32},
    "mp-frozen-20-lr1e-3": {"engine": "two-phase", "epochs": (0, 20), "lr": (1e-4, 1e-3)},
}


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(task["threads"])
    from core.ml.config import TrainConfig
    from core.ml.train import train

    examples = load(task["train"])[: task["limit"]]
    extra = [e for path in task["extra"] for e in load(path)]
    folds = grouped_folds(examples, task["folds"], seed=0)
    held = set(folds[task["fold"]])
    tr = [e for i, e in enumerate(examples) if i not in held] + extra
    te = [examples[i] for i in sorted(held)]
    overrides = dict(PRESETS[task["preset"]])
    engine = overrides.pop("engine")
    cfg = TrainConfig.for_engine(engine, base_model=task["base_model"], device=task["device"], amp=task["amp"],
                                 select_best=False, seed=task["seed"], **overrides)
    started = time.perf_counter()
    result = train(cfg, tr, te)
    return {"preset": task["preset"], "fold": task["fold"], "accuracy": result.metrics["accuracy"],
            "macro_f1": result.metrics["macro_f1"],
            "neutral_f1": result.metrics["per_class"]["neutral"]["f1"],
            "seconds": round(time.perf_counter() - started, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--extra", nargs="*", default=[], help="extra training files added to every fold's train part")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--presets", nargs="*", default=list(PRESETS))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="torch threads per worker")
    ap.add_argument("--base-model", default="bundled")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit-folds", type=int, default=None, help="run only the first N folds (quick checks)")
    ap.add_argument("--amp", action="store_true", help="mixed precision on CUDA (default: float32, as on CPU)")
    ap.add_argument("--rows", default=None, help="also append each fold's result to this JSONL file as it finishes")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N rows (smoke tests)")
    args = ap.parse_args()
    n_folds = args.limit_folds or args.folds
    tasks = [{"preset": p, "fold": f, "train": args.train, "extra": args.extra, "folds": args.folds,
              "base_model": args.base_model, "device": args.device, "seed": args.seed, "threads": args.threads,
              "limit": args.limit, "amp": args.amp}
             for p in args.presets for f in range(n_folds)]
    started = time.perf_counter()
    rows = []
    with mp.get_context("spawn").Pool(args.workers) as pool:
        # Streamed, so a run cut short by a time limit still leaves the folds that finished.
        for row in pool.imap_unordered(run_task, tasks, chunksize=1):
            rows.append(row)
            if args.rows:
                with open(args.rows, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row) + "\n")
    summary = {}
    for preset in args.presets:
        mine = [r for r in rows if r["preset"] == preset]
        if not mine:
            continue
        summary[preset] = {k: round(statistics.mean(r[k] for r in mine), 4)
                           for k in ("accuracy", "macro_f1", "neutral_f1", "seconds")}
    ranked = sorted(summary, key=lambda p: -summary[p]["accuracy"])
    print(json.dumps({"train": args.train, "extra": args.extra, "folds": args.folds, "folds_run": n_folds,
                      "wall_seconds": round(time.perf_counter() - started, 1), "ranking": ranked,
                      "summary": summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
