"""Calibration before and after temperature scaling, with accuracy, on held-out data. Prints JSON.

Suites (default: both):
  centrale     train on centrale/traindata.csv (no dev file), score centrale/devdata.csv
  restaurants  grouped k-fold CV on semeval14/restaurants_train.tsv (train file only)

Every training gets no dev set, so its temperature comes from the product's scheme
(core/ml/temperature.py: a 10 % calibration slice held out of training; the product then trains
again on all rows with that T, which bench_calibration_refit.py measures) and the reported set is
never seen before scoring. From the same trained encoder (no second training) each run also
compares, on the reported set:
- ``oof``: T from out-of-fold heads on the cached training features (the previous scheme);
- ``head_90`` / ``head_all``: a fresh head on the 90 % trained on, with T fitted on its slice
  logits, and one refitted on all rows (slice included) keeping that T (the cheap "retrain on all");
- ``bias_t``: T plus a per-class bias fitted on the slice (may move the argmax; counted);
- ``dev_half_fit``: T fitted on one half of the reported set, measured on the other (and the
  reverse): what a dev-file temperature gives, without measuring in-sample.
Never trained on semeval14 data when a centrale score is reported (leakage warning).

    nice -n 15 python benchmarks/bench_calibration.py --out benchmarks/results/calibration-cpu.json
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import grouped_folds, load, peak_rss_mb, shared_data_dir  # noqa: E402


def _job(job: dict[str, Any]) -> dict[str, Any]:
    from core.domain import LABELS
    from core.ml.calibration import apply_temperature, ece, nll
    from core.ml.config import TrainConfig
    from core.ml.train import train

    from core.ml import temperature

    # The model trained on 90 % (its encoder never saw the slice, so the schemes below compare on
    # it); the product then retrains on all rows with that T: bench_calibration_refit.py.
    temperature.REFIT_ON_ALL = False
    cfg = TrainConfig.for_engine(job["engine"], select_best=False, seed=job["seed"], **job.get("overrides", {}))
    started = time.perf_counter()
    model = train(cfg, job["train"], None).model
    seconds = time.perf_counter() - started
    test = job["test"]
    logits = model.predict_logits([(e.sentence, e.start, e.end) for e in test])
    gold = [LABELS.index(e.polarity) for e in test]
    t_oof = model.temperature

    def scores(t: float, idx: list[int]) -> dict[str, float]:
        probs = apply_temperature([logits[i] for i in idx], t)
        y = [gold[i] for i in idx]
        return {"ece": round(ece(probs, y), 4), "nll": round(nll(probs, y), 4),
                "accuracy": round(float((probs.argmax(1) == y).mean()), 4)}

    every = list(range(len(test)))
    raw, calibrated = scores(1.0, every), scores(t_oof, every)
    return {"engine": job["engine"], "seed": job["seed"], "fold": job.get("fold"), "n_test": len(test),
            "temperature": t_oof, "calibration": model.info["calibration"], "uncalibrated": raw,
            "calibrated": calibrated, "dev_half_fit": _cross_fit(logits, gold, scores),
            "accuracy_unchanged": raw["accuracy"] == calibrated["accuracy"],
            "n_train": model.info["n_train"], "n_calibration": model.info.get("n_calibration", 0),
            "train_seconds": round(seconds, 1), "peak_rss_mb": peak_rss_mb(),
            "schemes": _schemes(model, cfg, job["train"], test, gold, np.asarray(logits))}


def _schemes(model: Any, cfg: Any, train_set: list[Any], test: list[Any], gold: list[int],
             test_logits: np.ndarray) -> dict[str, Any]:
    """The other calibration schemes on this run's encoder, scored on the reported set."""
    import torch

    import heads
    from core.ml.calibration import apply_temperature, ece, fit_temperature, nll
    from core.ml.temperature import holdout

    fit_set, held = holdout(train_set, None, cfg.seed)
    if not held:
        return {}
    feats = heads.features(model.net, model.encoder, fit_set + held + test)
    f_fit, f_held, f_test = feats[:len(fit_set)], feats[len(fit_set):len(fit_set) + len(held)], feats[-len(test):]
    y_fit = torch.tensor([e.polarity.index for e in fit_set])
    y_held = [e.polarity.index for e in held]
    y = np.asarray(gold)

    def measured(z: np.ndarray, t: float, bias: Any = 0.0) -> dict[str, float]:
        p = apply_temperature(z / t + bias, 1.0)
        return {"temperature": round(t, 4), "ece": round(ece(p, y), 4), "nll": round(nll(p, y), 4),
                "accuracy": round(float((p.argmax(1) == y).mean()), 4)}

    oof = heads.oof_logits(f_fit, y_fit, [e.sentence for e in fit_set], cfg, cfg.seed)
    head_90 = heads.fit(f_fit, y_fit, cfg, cfg.seed)
    t_90 = fit_temperature(heads.logits(head_90, f_held), y_held)
    head_all = heads.fit(torch.cat([f_fit, f_held]), torch.cat([y_fit, torch.tensor(y_held)]), cfg, cfg.seed)
    t_b, bias = heads.fit_bias_temperature(heads.logits(model.net.head, f_held), y_held)
    moved = int((test_logits.argmax(1) != (test_logits / t_b + bias).argmax(1)).sum())
    return {"oof": measured(test_logits, max(1.0, fit_temperature(oof, y_fit.tolist()))),
            "head_90": measured(heads.logits(head_90, f_test), t_90),
            "head_all": measured(heads.logits(head_all, f_test), t_90),
            "bias_t": {**measured(test_logits, t_b, bias), "bias": [round(float(b), 3) for b in bias],
                       "argmax_moved": moved}}


def _cross_fit(logits: list[list[float]], gold: list[int], scores: Any) -> dict[str, Any]:
    """T fitted on even-numbered held-out items, measured on odd ones, and the reverse (pooled)."""
    from core.ml.calibration import fit_temperature

    halves = [list(range(0, len(gold), 2)), list(range(1, len(gold), 2))]
    temps, eces, nlls = [], [], []
    for fit_idx, test_idx in (halves, halves[::-1]):
        t = fit_temperature([logits[i] for i in fit_idx], [gold[i] for i in fit_idx])
        s = scores(t, test_idx)
        temps.append(round(t, 4))
        eces.append(s["ece"])
        nlls.append(s["nll"])
    return {"temperatures": temps, "ece": round(statistics.mean(eces), 4), "nll": round(statistics.mean(nlls), 4)}


def _isolated(job: dict[str, Any]) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        row = pool.apply(_job, (job,))
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(get: Any) -> float:
        return round(statistics.mean(get(r) for r in rows), 4)

    return {"accuracy": mean(lambda r: r["calibrated"]["accuracy"]),
            "ece_uncalibrated": mean(lambda r: r["uncalibrated"]["ece"]),
            "ece_calibrated": mean(lambda r: r["calibrated"]["ece"]),
            "ece_dev_half_fit": mean(lambda r: r["dev_half_fit"]["ece"]),
            "nll_uncalibrated": mean(lambda r: r["uncalibrated"]["nll"]),
            "nll_calibrated": mean(lambda r: r["calibrated"]["nll"]),
            "nll_dev_half_fit": mean(lambda r: r["dev_half_fit"]["nll"]),
            "temperature": mean(lambda r: r["temperature"]),
            "accuracy_unchanged": all(r["accuracy_unchanged"] for r in rows),
            "train_seconds": mean(lambda r: r["train_seconds"]),
            "schemes": {name: {key: mean(lambda r, n=name, k=key: r["schemes"][n][k])
                               for key in ("temperature", "ece", "nll", "accuracy")}
                        for name in (rows[0].get("schemes") or {}) if all(r.get("schemes") for r in rows)}}


def suite_centrale(args: argparse.Namespace) -> dict[str, Any]:
    data = shared_data_dir() / "centrale"
    train_set, dev_set = load(data / "traindata.csv"), load(data / "devdata.csv")
    rows: list[dict[str, Any]] = []
    for s in args.seeds:
        rows.append(_isolated({"engine": args.engine, "seed": s, "train": train_set, "test": dev_set,
                               "overrides": args.overrides}))
        args.partial("centrale", {"runs": rows})
    return {"n_train": len(train_set), "n_dev": len(dev_set), "summary": _summary(rows), "runs": rows}


def suite_restaurants(args: argparse.Namespace) -> dict[str, Any]:
    examples = load(shared_data_dir() / "semeval14" / "restaurants_train.tsv")
    folds = grouped_folds(examples, args.folds, seed=0)
    rows = []
    for k, fold in enumerate(folds):
        held = set(fold)
        rows.append(_isolated({"engine": args.engine, "seed": args.seeds[0], "fold": k, "overrides": args.overrides,
                               "train": [e for i, e in enumerate(examples) if i not in held],
                               "test": [examples[i] for i in sorted(held)]}))
        args.partial("restaurants", {"runs": rows})
    return {"n": len(examples), "folds": args.folds, "summary": _summary(rows), "runs": rows}


SUITES = {"centrale": suite_centrale, "restaurants": suite_restaurants}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", nargs="*", default=list(SUITES), choices=list(SUITES))
    ap.add_argument("--engine", default="two-phase", choices=("two-phase", "lora"))
    ap.add_argument("--seeds", nargs="*", type=int, default=[13])
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=JSON", help="TrainConfig overrides")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    args.overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    report: dict[str, Any] = {"engine": args.engine, "overrides": args.overrides, "cpus": mp.cpu_count(),
                              "note": "no dev set in training: T from a 10 % held-out calibration slice; "
                                      "ECE 10 equal-width bins"}

    def partial(name: str, part: dict[str, Any]) -> None:  # runs so far survive a stopped benchmark
        if args.out:
            _write(args.out, {**report, name: part})

    args.partial = partial
    for name in args.suite:
        report[name] = SUITES[name](args)
        if args.out:  # a partial report survives a later suite being stopped
            _write(args.out, report)
    print(json.dumps(report, indent=1))
    if args.out:
        _write(args.out, report)


def _write(path: str, report: dict[str, Any]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
