"""benchmarks/bench_active.py on a tiny setting: the strategies' orders by hand, then a whole
simulation (tiny real encoder, the small fixture file) with its JSON contract."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_active.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_active", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_strategy_asks_first_for_what_it_should(bench):
    probs = [[0.9, 0.05, 0.05],   # confident
             [0.5, 0.45, 0.05],   # two-way tie: smallest margin
             [0.4, 0.3, 0.3],     # lowest top probability, highest entropy
             [0.6, 0.2, 0.2]]
    rng = random.Random(0)
    first = {s: max(range(4), key=lambda i, sc=bench.scores(s, probs, rng): sc[i]) for s in ("least", "margin", "entropy")}
    assert first == {"least": 2, "margin": 1, "entropy": 2}
    assert bench.labels_to_reach([{"labels": 100, "accuracy": 0.7}, {"labels": 200, "accuracy": 0.8}], 0.75) == 200
    assert bench.labels_to_reach([{"labels": 100, "accuracy": 0.7}], 0.75) is None
    saved = bench._against_random({"random": {"labels_to_95pct_mean": 400.0}, "least": {"labels_to_95pct_mean": 300.0}})
    assert saved == {"random": 0.0, "least": 0.25}


@pytest.mark.parametrize("body_epochs", ["1", "0"])  # a whole training a round; the head on cached features
def test_a_tiny_simulation_runs_and_reports(bench, tiny_base_model, small_tsv, tmp_path, body_epochs):
    out = tmp_path / "active.json"
    report = bench.main(["--data", str(small_tsv), "--base-model", str(tiny_base_model), "--seeds", "1",
                         "--folds", "3", "--start", "6", "--step", "4", "--rounds", "2", "--body-epochs", body_epochs,
                         "--strategies", "random", "least",
                         "--head-epochs", "2", "--batch-size", "8", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert report["n_pool"] + report["n_test"] == 24 and set(report["strategies"]) == {"random", "least"}
    for s in report["strategies"].values():
        assert [p["labels"] for p in s["curve"]] == [6, 10, 14]
        assert all(0.0 <= p["accuracy_mean"] <= 1.0 for p in s["curve"])
    assert report["fewer_labels_than_random"]["random"] in (0.0, None)


def test_picks_are_new_unlabeled_terms(bench, tiny_base_model, small_examples):
    import argparse

    args = argparse.Namespace(base_model=str(tiny_base_model), body_epochs=1, head_epochs=2, batch_size=8)
    model, _ = bench.train_and_score(range(8), small_examples, small_examples[8:], args, seed=1)
    unlabeled = list(range(8, 24))
    for strategy in bench.STRATEGIES:
        chosen = bench.pick(strategy, model, small_examples, unlabeled, 5, random.Random(1))
        assert len(set(chosen)) == 5 and set(chosen) <= set(unlabeled)
    # least confidence picks exactly the five lowest top probabilities among the unlabeled.
    probs = model(unlabeled)
    lowest = sorted(range(16), key=lambda j: max(probs[j]))[:5]
    assert set(bench.pick("least", model, small_examples, unlabeled, 5, random.Random(1))) == {8 + j for j in lowest}


def test_stop_after_ends_a_curve_once_it_reaches_the_target(bench, tiny_base_model, small_tsv, tmp_path):
    report = bench.main(["--data", str(small_tsv), "--base-model", str(tiny_base_model), "--seeds", "1", "2",
                         "--folds", "3", "--start", "6", "--step", "2", "--rounds", "6", "--stop-after", "0",
                         "--strategies", "random", "margin", "--head-epochs", "2", "--batch-size", "8",
                         "--temperature", "none", "--features-cache", str(tmp_path / "f.pt")])
    assert (tmp_path / "f.pt").is_file() and report["calibrated_picks"] is False
    for s in report["strategies"].values():
        for seed, points in s["per_seed"].items():
            target = 0.95 * report["full_accuracy"][seed]
            # Every round before the last is below the target; the last reached it or is round 6.
            assert all(acc < target for _, acc in points[:-1])
            assert points[-1][1] >= target or len(points) == 7
            assert s["labels_to_95pct"][seed] == (points[-1][0] if points[-1][1] >= target else None)
