"""Active-learning simulation: how many labels each selection strategy needs. Prints JSON.

SemEval-14 restaurants TRAIN (the train file only), grouped by sentence into folds: one fold is the
test set, the rest the pool. Each seed starts from the same random ``--start`` labels for every
strategy, then adds ``--step`` a round, chosen
  random      uniformly among unlabeled terms,
  least       least confidence first (lowest top probability: the app's order until measured here),
  margin      smallest gap between the top two probabilities (now the app's "least confident first"),
  entropy     highest entropy of the probabilities,
all from calibrated probabilities (T fitted each round on out-of-fold head logits of the labels
so far, as a training without a dev set does; ``--temperature none``: T = 1, cheaper). Every
round retrains from the base:
- ``--body-epochs 0`` (the default, the quick retrain): the base encoder's features of every pool
  and test term are computed once (it is frozen) and each round trains only the product's head
  (core.ml.network.TermHead, its loss, class weights and learning rate) on the cached features:
  seconds a round, so the full setting runs on a CPU;
- ``--body-epochs N``: a whole two-phase ``train()`` each round (N fine-tuning epochs, then the
  head), hours of CPU for the full setting; bound it with ``--rounds`` / ``--max-labels``.
Reported: test accuracy against labels per strategy (mean of seeds, and each seed's curve), the
accuracy with every pool label, and the labels each strategy needs to reach 95 % of it (and how
that compares with random). ``--stop-after N`` ends a curve N rounds after it reaches that point.

    nice -n 15 python benchmarks/bench_active.py --out benchmarks/results/active-cpu.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import grouped_folds, load, shared_data_dir  # noqa: E402

STRATEGIES = ("random", "least", "margin", "entropy")


def scores(strategy: str, probs: Sequence[Sequence[float]], rng: random.Random) -> list[float]:
    """Higher = ask for this label sooner."""
    if strategy == "random":
        return [rng.random() for _ in probs]
    out = []
    for p in probs:
        top = sorted(p, reverse=True)
        if strategy == "least":
            out.append(1.0 - top[0])
        elif strategy == "margin":
            out.append(-(top[0] - top[1]))
        else:
            out.append(-sum(q * math.log(q) for q in p if q > 0))
    return out


def pick(strategy: str, model: Any, pool: Sequence[Any], unlabeled: list[int], n: int,
         rng: random.Random) -> list[int]:
    """The ``n`` unlabeled pool indices the strategy asks for next (``model`` maps pool indices
    to calibrated probabilities)."""
    probs = [] if strategy == "random" else model(unlabeled)
    s = scores(strategy, probs if len(probs) else [[0.0]] * len(unlabeled), rng)
    ranked = sorted(range(len(unlabeled)), key=lambda j: -s[j])
    return [unlabeled[j] for j in ranked[:n]]


def train_and_score(labeled: Sequence[int], pool: Sequence[Any], test: Sequence[Any], args: argparse.Namespace,
                    seed: int) -> tuple[Any, float]:
    """Train on the labeled pool indices; (pool indices -> calibrated probabilities, test accuracy)."""
    if args.body_epochs == 0:
        return args.cache.train_and_score(labeled, seed)
    from core.ml.config import TrainConfig
    from core.ml.metrics import evaluate
    from core.ml.train import train

    cfg = TrainConfig.for_engine("two-phase", base_model=args.base_model, epochs=(args.body_epochs, args.head_epochs),
                                 select_best=False, seed=seed, batch_size=args.batch_size)
    model = train(cfg, [pool[i] for i in labeled], None).model
    preds = model.predict(test)

    def proba(idx: Sequence[int]) -> Any:
        return model.predict_proba([(pool[i].sentence, pool[i].start, pool[i].end) for i in idx])

    return proba, evaluate([e.polarity for e in test], [p.label for p in preds])["accuracy"]


def curve(strategy: str, pool: Sequence[Any], test: Sequence[Any], args: argparse.Namespace,
          seed: int, target: float = 2.0) -> list[dict[str, Any]]:
    """Accuracy after each round for one strategy and seed; with ``--stop-after N``, it stops N
    rounds after the accuracy first reaches ``target`` (what the labels-to-95 % figure needs)."""
    rng = random.Random(seed)
    labeled = rng.sample(range(len(pool)), min(args.start, len(pool)))  # same start for every strategy
    points = []
    for round_no in range(args.rounds + 1):
        model, accuracy = train_and_score(labeled, pool, test, args, seed)
        points.append({"labels": len(labeled), "accuracy": accuracy})
        print(json.dumps({"strategy": strategy, "seed": seed, **points[-1]}), file=sys.stderr, flush=True)
        unlabeled = sorted(set(range(len(pool))) - set(labeled))
        reached = [p for p in points if p["accuracy"] >= target]
        if round_no == args.rounds or not unlabeled or len(labeled) >= args.max_labels:
            break
        if args.stop_after is not None and reached and len(points) - points.index(reached[0]) > args.stop_after:
            break
        labeled += pick(strategy, model, pool, unlabeled, args.step, rng)
    return points


def labels_to_reach(points: Sequence[dict[str, Any]], target: float) -> int | None:
    return next((p["labels"] for p in points if p["accuracy"] >= target), None)


def simulate(pool: Sequence[Any], test: Sequence[Any], args: argparse.Namespace,
             on_seed: Any = None) -> dict[str, Any]:
    """Seed by seed (every strategy for one seed, then the next), so a stopped run still compares
    all strategies on the seeds it finished; ``on_seed(report)`` gets the report so far."""
    full: dict[int, float] = {}
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {s: {} for s in args.strategies}
    report: dict[str, Any] = {}
    for seed in args.seeds:
        full[seed] = train_and_score(range(len(pool)), pool, test, args, seed)[1]
        print(json.dumps({"seed": seed, "full_accuracy": full[seed]}), file=sys.stderr, flush=True)
        for strategy in args.strategies:
            runs[strategy][seed] = curve(strategy, pool, test, args, seed, 0.95 * full[seed])
        report = _report(pool, test, full, runs)
        if on_seed:
            on_seed(report)
    return report


def _report(pool: Sequence[Any], test: Sequence[Any], full: dict[int, float],
            runs: dict[str, dict[int, list[dict[str, Any]]]]) -> dict[str, Any]:
    report: dict[str, Any] = {"n_pool": len(pool), "n_test": len(test), "seeds_done": list(full),
                              "full_accuracy": full, "strategies": {}}
    for strategy, by_seed in runs.items():
        reach = {seed: labels_to_reach(points, 0.95 * full[seed]) for seed, points in by_seed.items()}
        report["strategies"][strategy] = {"curve": _mean_curve(by_seed), "labels_to_95pct": reach,
                                          "labels_to_95pct_mean": _mean_or_none(list(reach.values())),
                                          "per_seed": {seed: [[p["labels"], round(p["accuracy"], 4)] for p in points]
                                                       for seed, points in by_seed.items()}}
    report["fewer_labels_than_random"] = _against_random(report["strategies"])
    return report


def _mean_curve(runs: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    length = min(len(r) for r in runs.values())
    return [{"labels": runs[next(iter(runs))][i]["labels"],
             "accuracy_mean": round(statistics.mean(r[i]["accuracy"] for r in runs.values()), 4),
             "per_seed": [r[i]["accuracy"] for r in runs.values()]} for i in range(length)]


def _mean_or_none(values: list[int | None]) -> float | None:
    """Mean over seeds, or None if some seed never got there within the rounds run."""
    return None if any(v is None for v in values) or not values else round(statistics.mean(values), 1)  # type: ignore[arg-type]


def _against_random(strategies: dict[str, Any]) -> dict[str, float | None]:
    """Fraction of labels saved against random to reach the 95 % point (0.25 = 25 % fewer)."""
    base = strategies.get("random", {}).get("labels_to_95pct_mean")
    out: dict[str, float | None] = {}
    for name, s in strategies.items():
        mine = s["labels_to_95pct_mean"]
        out[name] = round(1 - mine / base, 3) if base and mine is not None else None
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", help="labeled file (default: semeval14/restaurants_train.tsv in the data folder)")
    ap.add_argument("--base-model", default="bundled")
    ap.add_argument("--strategies", nargs="*", default=list(STRATEGIES), choices=STRATEGIES)
    ap.add_argument("--seeds", nargs="*", type=int, default=[13, 14, 15])
    ap.add_argument("--folds", type=int, default=5, help="one of these grouped folds is the test set")
    ap.add_argument("--start", type=int, default=100)
    ap.add_argument("--step", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=29)
    ap.add_argument("--max-labels", type=int, default=10**9)
    ap.add_argument("--body-epochs", type=int, default=0, help="0: head only, on cached base features")
    ap.add_argument("--head-epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--stop-after", type=int, help="end a curve this many rounds after it reaches 95 %% of full")
    ap.add_argument("--features-cache", help="quick retrain: keep the base features in this file for reruns")
    ap.add_argument("--temperature", choices=("oof", "none"), default="oof",
                    help="quick retrain: T each round from out-of-fold heads (3 more head trainings), or T = 1")
    ap.add_argument("--out")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    path = Path(args.data) if args.data else shared_data_dir() / "semeval14" / "restaurants_train.tsv"
    examples = load(path)
    test_idx = set(grouped_folds(examples, args.folds, seed=0)[0])
    pool = [e for i, e in enumerate(examples) if i not in test_idx]
    test = [examples[i] for i in sorted(test_idx)]
    started = time.perf_counter()
    if args.body_epochs == 0:
        from active_heads import FeatureCache

        args.cache = FeatureCache(pool, test, args.base_model, args.seeds[0], args.head_epochs, args.batch_size,
                                  args.temperature == "oof", args.features_cache)
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "data", "cache")}

    def whole(part: dict[str, Any]) -> dict[str, Any]:
        extra = args.cache.describe() if args.body_epochs == 0 else {}
        return {"data": path.name, "settings": settings, **extra, **part,
                "seconds": round(time.perf_counter() - started, 1)}

    report = whole(simulate(pool, test, args, lambda part: _write(args.out, whole(part))))
    print(json.dumps(report, indent=1))
    _write(args.out, report)
    return report


def _write(out: str | None, report: dict[str, Any]) -> None:
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
