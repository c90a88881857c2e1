"""The accurate tier (MPNet) by cross-validation on TRAIN files, with its frozen-encoder protocol. Prints JSON.

Protocol "frozen" = the two-phase engine with no whole-network epochs (``epochs=(0, H)``): the encoder
never changes, so every term is encoded ONCE per (base, input style, max_length) and cached under
``--cache-dir``; every fold and every head setting then trains only the head on the cached rows, with the
engine's own head loop (core.ml.two_phase.head_phase). This is what a CPU can afford: one MPNet forward
pass costs about as much as a third of one fine-tuning epoch.

1. Head settings are chosen by 5-fold grouped CV on centrale/traindata.csv (a train file).
2. With them: 5-fold grouped CV on semeval14/restaurants_train.tsv (the folds of bench_engines.py), and
   centrale/devdata.csv for 3 seeds trained on centrale train only (never on the restaurants file: see the
   data README's leakage warning; ``select_best`` is off, the dev set is never used to pick an epoch).
3. Training seconds per fold: the encoding of that fold's rows (from the cached pass's rate) + head time.
4. ``--step-cost``: one whole-network training step (batch 32) of MPNet against MiniLM, same process.

    nice -n 15 python benchmarks/bench_mpnet.py --out benchmarks/results/mpnet-frozen-cpu.json
    nice -n 15 python benchmarks/bench_mpnet.py --bases bundled --out benchmarks/results/mpnet-frozen-baseline-minilm-cpu.json

Measured (2 shared cores, load ~12): MPNet frozen 0.737 restaurants CV, 0.844 centrale dev; MiniLM
frozen 0.691 / 0.782; the fine-tuned MiniLM (two-phase defaults) 0.774 / 0.849. So the frozen recipe
is not made MPNet's default (see core/ml/config.py); fine-tuning MPNet is a GPU run
(benchmarks/device_mpnet.sh).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import grouped_folds, load, peak_rss_mb, shared_data_dir  # noqa: E402

# Head settings searched by CV: lr[1] (the head phase's rate) x head epochs; class weights stay the
# engine's "sqrt". On 2 shared cores the head phase itself is the cost (a 1536x768 layer), so the grid
# is small; every epoch count comes from one run per rate (see train_head).
RATES = (1e-3, 3e-3)
EPOCHS = (10, 20, 40)
WEIGHTS = "sqrt"


def log(message: str) -> None:
    print(f"[bench_mpnet {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cached_features(base: str, style: str, max_length: int, path: Path, cache: Path,
                    limit: int | None = None) -> dict[str, Any]:
    """{"feats", "y", "groups", "seconds", "tokens"} for every row of ``path``, computed once and kept on disk."""
    import torch

    key = hashlib.sha256(f"{base}|{style}|{max_length}|{path.resolve()}|{path.stat().st_size}|{limit}".encode()).hexdigest()[:16]
    file = cache / f"{path.stem}-{Path(base).name}-{style}-{max_length}-{key}.pt"
    if file.is_file():
        return torch.load(file)
    examples = load(path)[:limit]
    started = time.perf_counter()
    feats, encoded = encode_frozen(base, style, max_length, examples)
    data = {"feats": feats, "y": [e.polarity.index for e in examples], "groups": [e.sentence for e in examples],
            "seconds": round(time.perf_counter() - started, 1), "n": len(examples),
            "tokens_mean": round(statistics.mean(len(x.input_ids) for x in encoded), 1),
            "at_max_length": sum(len(x.input_ids) >= max_length for x in encoded)}
    cache.mkdir(parents=True, exist_ok=True)
    torch.save(data, file)
    log(f"{file.name}: {data['n']} rows in {data['seconds']} s")
    return data


def encode_frozen(base: str, style: str, max_length: int, examples: Sequence[Any]) -> tuple[Any, list[Any]]:
    """The engine's pooled features (core.ml.loop.encoded_features) of the untouched base encoder."""
    from core.ml.base_models import resolve_base_model
    from core.ml.config import TrainConfig
    from core.ml.encoding import TermEncoder
    from core.ml.events import FEATURES
    from core.ml.loop import Context, encoded_features
    from core.ml.network import PolarityNet, load_encoder, load_tokenizer

    path = resolve_base_model(base)
    tokenizer = load_tokenizer(path)
    before = len(tokenizer)
    encoder = TermEncoder.from_tokenizer(tokenizer, style, max_length)
    body = load_encoder(path)
    if len(tokenizer) > before:
        body.resize_token_embeddings(len(tokenizer))
    net = PolarityNet(body).eval()
    cfg = TrainConfig(base_model=base, input_style=style, max_length=max_length, epochs=(0, 1), device="cpu")
    encoded = encoder.encode_many([(e.sentence, e.start, e.end) for e in examples])
    done = [0]

    def progress(p: Any) -> None:
        done[0] += 1
        if done[0] % 10 == 0:
            log(f"{base}/{style}: batch {done[0]} of {len(encoded) // 64 + 1}")

    ctx = Context(cfg, "cpu", net, encoder, encoded, [0] * len(encoded), [], [], progress, None, None)
    ctx.total_steps = 10**9
    return encoded_features(ctx, encoded, FEATURES), encoded


def train_head(rate: float, weights: str, feats: Any, y: Sequence[int], seed: int, hidden: int,
               checkpoints: Sequence[int], on_checkpoint: Callable[[int, Any], None]) -> float:
    """A fresh head trained by the engine's head loop on cached rows for max(checkpoints) epochs;
    ``on_checkpoint(epoch, head)`` at each checkpoint. The head phase has a constant rate and a seeded
    order, so the head after k of K epochs is the head a k-epoch run ends with: one run scores every
    epoch count. Returns the training seconds of the longest run."""
    from core.ml import two_phase
    from core.ml.config import TrainConfig
    from core.ml.device import set_seed
    from core.ml.loop import Context
    from core.ml.network import TermHead

    cfg = TrainConfig(epochs=(0, max(checkpoints)), lr=(1e-4, rate), class_weights=weights, select_best=False,
                      seed=seed, device="cpu")
    set_seed(seed)
    net = SimpleNamespace(head=TermHead(feats.shape[1], hidden, cfg.dropout))
    spent = [0.0]

    def at_epoch(entry: dict[str, Any]) -> None:
        spent[0] += entry["seconds"]
        if entry["epoch"] in checkpoints:
            on_checkpoint(entry["epoch"], net.head)

    ctx = Context(cfg, "cpu", net, None, [], list(y), [], [], None, None, at_epoch)  # type: ignore[arg-type]
    two_phase.head_phase(ctx, feats, None)
    return spent[0]


def score_logits(head: Any, feats: Any) -> Any:
    from core.ml.loop import head_logits

    return head_logits(head, feats, "cpu")


def score(head: Any, feats: Any, y: Sequence[int]) -> dict[str, Any]:
    from core.ml.loop import metrics_from_logits

    return metrics_from_logits(score_logits(head, feats), list(y))


def cv(data: dict[str, Any], rate: float, weights: str, epochs: Sequence[int], folds: int, seed: int,
       hidden: int) -> list[dict[str, Any]]:
    """Grouped k-fold CV on cached rows (the held-out fold is the test), one row per epoch count."""
    import torch

    examples = [SimpleNamespace(sentence=s, polarity=p) for s, p in zip(data["groups"], data["y"])]
    per_row = data["seconds"] / data["n"]
    runs: dict[int, list[dict[str, Any]]] = {e: [] for e in epochs}
    for k, held in enumerate(grouped_folds(examples, folds, seed=0)):  # type: ignore[arg-type]
        test = torch.tensor(sorted(held))
        train = torch.tensor(sorted(set(range(data["n"])) - set(held)))
        test_y = [data["y"][i] for i in test]

        def keep(epoch: int, head: Any, k: int = k) -> None:
            m = score(head, data["feats"][test], test_y)
            runs[epoch].append({"fold": k, "accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
                                "neutral_f1": m["per_class"]["neutral"]["f1"], "seconds_at": epoch})

        seconds = train_head(rate, weights, data["feats"][train], [data["y"][i] for i in train], seed, hidden,
                             epochs, keep)
        for e in epochs:  # encoding this fold's train and test rows once, then e of the head's epochs
            runs[e][-1]["train_seconds"] = round(per_row * data["n"] + seconds * e / max(epochs), 1)
            del runs[e][-1]["seconds_at"]
    return [{"settings": settings(rate, weights, e), "accuracy_mean": _mean(rows, "accuracy"),
             "macro_f1_mean": _mean(rows, "macro_f1"), "neutral_f1_mean": _mean(rows, "neutral_f1"),
             "train_seconds_mean": _mean(rows, "train_seconds"), "folds": rows} for e, rows in runs.items()]


def settings(rate: float, weights: str, epochs: int) -> dict[str, Any]:
    """The TrainConfig values of one frozen-encoder run."""
    return {"epochs": [0, epochs], "head_lr_phase2": rate, "class_weights": weights}


def _mean(rows: Sequence[dict[str, Any]], key: str) -> float:
    return round(statistics.mean(r[key] for r in rows), 4)


def dev_runs(train: dict[str, Any], dev: dict[str, Any], chosen: dict[str, Any], seeds: Sequence[int],
             hidden: int) -> dict[str, Any]:
    runs = []
    epochs = chosen["epochs"][1]
    for seed in seeds:
        got: dict[str, Any] = {}
        seconds = train_head(chosen["head_lr_phase2"], chosen["class_weights"], train["feats"], train["y"], seed,
                             hidden, [epochs], lambda _e, head: got.update(score(head, dev["feats"], dev["y"])))
        runs.append({"seed": seed, "accuracy": got["accuracy"], "macro_f1": got["macro_f1"],
                     "train_seconds": round(train["seconds"] + dev["seconds"] + seconds, 1)})
    return {"settings": chosen, "accuracy_mean": _mean(runs, "accuracy"), "macro_f1_mean": _mean(runs, "macro_f1"),
            "train_seconds_mean": _mean(runs, "train_seconds"), "runs": runs}


def step_cost(data_dir: Path) -> dict[str, Any]:
    from bench_step import step_seconds

    examples = load(data_dir / "centrale" / "traindata.csv")[:32]
    rows = {base: step_seconds(base, examples, 2) for base in ("bundled", "mpnet")}
    ratio = rows["mpnet"]["step_seconds_median"] / rows["bundled"]["step_seconds_median"]
    return {"bases": rows, "mpnet_over_minilm": round(ratio, 2)}


def base_report(base: str, args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    import torch

    out: dict[str, Any] = {}
    for style in args.styles:
        torch.set_num_threads(args.threads)
        feats = lambda name: cached_features(base, style, args.max_length, data_dir / FILES[name],  # noqa: E731
                                             args.cache_dir, args.limit)
        train, dev = feats("centrale_train"), feats("centrale_dev")
        if args.encode_only:
            feats("restaurants")
            continue
        hidden = train["feats"].shape[1] // 2
        torch.set_num_threads(1)  # tiny head steps: a second thread only spins on a busy machine
        sweep = selection(base, style, train, hidden, args)
        chosen = sweep[0]["settings"]
        report = out[style] = {"chosen": chosen, "selection_on_centrale_train_cv": sweep,
                               "centrale_dev": dev_runs(train, dev, chosen, args.seeds, hidden)}
        log(f"{base}/{style}: chosen {chosen}; centrale dev {report['centrale_dev']['accuracy_mean']}")
        if args.skip_restaurants:
            continue
        torch.set_num_threads(args.threads)
        rest = feats("restaurants")
        torch.set_num_threads(1)
        epochs = [e for e in EPOCHS if e <= chosen["epochs"][1]]  # the shorter counts come free
        rows = cv(rest, chosen["head_lr_phase2"], WEIGHTS, epochs, args.folds, args.seed, hidden)
        report["restaurants_cv"] = rows[-1]
        report["restaurants_cv_other_epochs"] = [{k: r[k] for k in ("settings", "accuracy_mean", "macro_f1_mean")}
                                                 for r in rows[:-1]]
        report["encoding"] = {name: {k: d[k] for k in ("n", "seconds", "tokens_mean", "at_max_length")}
                              for name, d in (("centrale_train", train), ("centrale_dev", dev), ("restaurants", rest))}
        log(f"{base}/{style}: restaurants CV {report['restaurants_cv']['accuracy_mean']}")
    return out


FILES = {"centrale_train": "centrale/traindata.csv", "centrale_dev": "centrale/devdata.csv",
         "restaurants": "semeval14/restaurants_train.tsv"}


def selection(base: str, style: str, train: dict[str, Any], hidden: int, args: argparse.Namespace) -> list[dict]:
    """Every (rate, epochs) by grouped CV on centrale train, best first; kept in the cache folder so a
    later run (e.g. once the restaurants file is encoded) does not redo it."""
    file = args.cache_dir / f"selection-{Path(base).name}-{style}-{args.max_length}-{args.selection_folds}-{args.limit}.json"
    if file.is_file():
        return json.loads(file.read_text())
    rows = [r for rate in RATES for r in cv(train, rate, WEIGHTS, EPOCHS, args.selection_folds, args.seed, hidden)]
    sweep = sorted(({k: r[k] for k in ("settings", "accuracy_mean", "macro_f1_mean", "neutral_f1_mean")} for r in rows),
                   key=lambda r: (-r["accuracy_mean"], -r["macro_f1_mean"]))
    file.write_text(json.dumps(sweep))
    return sweep


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bases", nargs="*", default=["mpnet"], help="base encoders to report (e.g. mpnet bundled)")
    ap.add_argument("--styles", nargs="*", default=["markers"], choices=("markers", "pair"))
    ap.add_argument("--max-length", type=int, default=96)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--selection-folds", type=int, default=3, help="folds of the CV on centrale train")
    ap.add_argument("--skip-restaurants", action="store_true", help="selection and centrale dev only")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--seeds", nargs="*", type=int, default=[13, 14, 15], help="seeds of the centrale dev runs")
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/polarity-bench-features"))
    ap.add_argument("--step-cost", action="store_true", help="also time one training step of MPNet vs MiniLM")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="only the first N rows of each file (smoke runs)")
    ap.add_argument("--encode-only", action="store_true", help="only fill the feature cache")
    ap.add_argument("--out")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    import torch

    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    data_dir = shared_data_dir()
    started = time.perf_counter()
    report: dict[str, Any] = {"protocol": "frozen encoder: two-phase with epochs (0, head_epochs), head on cached "
                                          "features; head settings chosen by grouped CV on centrale train",
                              "max_length": args.max_length, "folds": args.folds,
                              "selection_folds": args.selection_folds,
                              "grid": {"head_lr_phase2": RATES, "head_epochs": EPOCHS, "class_weights": WEIGHTS},
                              "machine": {"torch_threads": args.threads, "torch": torch.__version__},
                              "bases": {base: base_report(base, args, data_dir) for base in args.bases}}
    if args.step_cost:
        report["step_cost"] = step_cost(data_dir)
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    # Shared machine: the encoding seconds depend on how many others ran meanwhile.
    report["machine"]["load_average_1_5_15_at_end"] = [round(x, 1) for x in os.getloadavg()]
    report["peak_rss_mb"] = peak_rss_mb()
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    return report


if __name__ == "__main__":
    main()
