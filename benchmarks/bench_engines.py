"""Accuracy, speed and memory of both engines, on 2 CPU cores (or whatever runs it). Prints JSON.

Suites (default: all):
  centrale     train on centrale/traindata.csv, score centrale/devdata.csv, 3 seeds per engine
  restaurants  5-fold cross-validation on semeval14/restaurants_train.tsv (grouped by sentence)
  inference    model load time, single-term latency (median, p95), throughput at batch 32

No run here ever trained on semeval14 data when it reports a centrale score (leakage warning in
../shared/data/README.md), and the dev file is never used to pick an epoch (select_best off).
Each training runs in a fresh process, so its peak RSS is its own.

    python benchmarks/bench_engines.py --suite centrale --out benchmarks/results/centrale.json
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
from common import grouped_folds, load, peak_rss_mb, shared_data_dir  # noqa: E402

ENGINES = ("two-phase", "lora")


def _train_job(job: dict[str, Any]) -> dict[str, Any]:
    from core.ml.config import TrainConfig
    from core.ml.train import train

    cfg = TrainConfig.for_engine(job["engine"], select_best=False, seed=job["seed"], **job.get("overrides", {}))
    started = time.perf_counter()
    result = train(cfg, job["train"], job["test"])
    seconds = time.perf_counter() - started
    if job.get("save"):
        result.model.save(job["save"])
    m = result.metrics or {"accuracy": None, "macro_f1": None, "per_class": {"neutral": {"f1": None}}}
    return {"engine": job["engine"], "seed": job["seed"], "fold": job.get("fold"),
            "accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
            "neutral_f1": m["per_class"]["neutral"]["f1"], "train_seconds": round(seconds, 1),
            "peak_rss_mb": peak_rss_mb()}


def _isolated(job: dict[str, Any]) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(_train_job, (job,))


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("accuracy", "macro_f1", "neutral_f1", "train_seconds", "peak_rss_mb"):
        values = [r[key] for r in rows]
        out[key] = {"mean": round(statistics.mean(values), 4), "min": min(values), "max": max(values)}
    return out


def suite_centrale(args: argparse.Namespace) -> dict[str, Any]:
    data = shared_data_dir() / "centrale"
    train_set, dev_set = load(data / "traindata.csv"), load(data / "devdata.csv")
    # Extra training files (e.g. semeval14/laptops_train.tsv); never the restaurant file, whose
    # sentences overlap the centrale dev set.
    extra = [e for name in args.extra for e in load(shared_data_dir() / name)]
    result: dict[str, Any] = {"n_train": len(train_set) + len(extra), "n_dev": len(dev_set), "extra": args.extra,
                              "overrides": args.overrides, "engines": {}}
    for engine in args.engines:
        rows = []
        for seed in args.seeds:
            rows.append(_isolated({"engine": engine, "seed": seed, "train": train_set + extra, "test": dev_set,
                                   "overrides": args.overrides}))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        result["engines"][engine] = {"summary": _summary(rows), "runs": rows}
    return result


def suite_restaurants(args: argparse.Namespace) -> dict[str, Any]:
    examples = load(shared_data_dir() / "semeval14" / "restaurants_train.tsv")
    folds = grouped_folds(examples, 5, seed=0)
    result: dict[str, Any] = {"n": len(examples), "folds": 5, "engines": {}}
    for engine in args.engines:
        rows = []
        for k, fold in enumerate(folds):
            held = set(fold)
            job = {"engine": engine, "seed": args.seeds[0], "fold": k, "overrides": args.overrides,
                   "train": [e for i, e in enumerate(examples) if i not in held],
                   "test": [examples[i] for i in sorted(held)]}
            rows.append(_isolated(job))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        result["engines"][engine] = {"summary": _summary(rows), "runs": rows}
    return result


def suite_inference(args: argparse.Namespace) -> dict[str, Any]:
    """Latency and throughput of a two-phase model trained on centrale train (saved, then loaded)."""
    import tempfile

    data = shared_data_dir() / "centrale"
    dev_set = load(data / "devdata.csv")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        _isolated({"engine": "two-phase", "seed": args.seeds[0], "train": load(data / "traindata.csv"),
                   "test": [], "save": str(folder)})
        with mp.get_context("spawn").Pool(1) as pool:
            return pool.apply(_measure_inference, (str(folder), dev_set))


def _measure_inference(folder: str, dev_set: list) -> dict[str, Any]:
    started = time.perf_counter()
    import torch  # noqa: F401
    import transformers  # noqa: F401

    imported = time.perf_counter()
    from core.ml.device import inference_precision
    from core.ml.model import PolarityModel

    model = PolarityModel.load(folder, device="cpu", precision="float32")
    loaded = time.perf_counter()
    out: dict[str, Any] = {"import_seconds": round(imported - started, 2), "load_seconds": round(loaded - imported, 2),
                           "auto_precision": inference_precision("cpu", "auto")}
    for precision in ("float32", "bfloat16"):
        model.precision = precision
        out[precision] = _speed(model, dev_set)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _speed(model: Any, dev_set: list) -> dict[str, Any]:
    from core.ml.metrics import evaluate

    preds = model.predict(dev_set[:32])  # the first call pays one-off allocations
    latencies = []
    for e in dev_set[:200]:
        t = time.perf_counter()
        model.predict_one(e.sentence, e.start, e.end)
        latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    t = time.perf_counter()
    rounds = 3
    for _ in range(rounds):
        preds = model.predict(dev_set, batch_size=32)
    per_second = rounds * len(dev_set) / (time.perf_counter() - t)
    return {"single_ms_median": round(statistics.median(latencies), 2),
            "single_ms_p95": round(latencies[int(len(latencies) * 0.95)], 2),
            "throughput_terms_per_s_batch32": round(per_second, 1),
            "dev_accuracy": evaluate([e.polarity for e in dev_set], [p.label for p in preds])["accuracy"]}


SUITES = {"centrale": suite_centrale, "restaurants": suite_restaurants, "inference": suite_inference}


def main() -> None:
    import platform

    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", nargs="*", default=list(SUITES), choices=list(SUITES))
    ap.add_argument("--engines", nargs="*", default=list(ENGINES), choices=list(ENGINES))
    ap.add_argument("--seeds", nargs="*", type=int, default=[13, 14, 15])
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=JSON",
                    help="TrainConfig overrides, e.g. epochs=[6,0] lr=[2e-3,2e-4]")
    ap.add_argument("--extra", nargs="*", default=[], help="extra training files under the data folder (centrale suite)")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    if any("restaurants" in name for name in args.extra):
        ap.error("restaurants_train.tsv shares sentences with the centrale dev set; it cannot be extra data")
    args.overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    import torch

    report = {"machine": {"cpus": mp.cpu_count(), "torch_threads": torch.get_num_threads(),
                          "python": platform.python_version(), "torch": torch.__version__}}
    for name in args.suite:
        report[name] = SUITES[name](args)
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
