"""Term extraction: 5-fold cross-validation grouped by sentence on the SemEval-2014 TRAIN XML
(Restaurants_Train_v2.xml, Laptop_Train_v2.xml; never the test sets). Prints JSON per fold:
precision / recall / F1 on exact spans, training seconds, extraction sentences/s, and with
--end-to-end the F1 of (span, polarity) pairs, the polarity model trained on the same fold's
training sentences (LoRA, the starter's recipe), so no fold sees its own test sentences.

A sentence is the unit of the folds, so a sentence's terms never straddle train and test.
End to end, gold pairs leave out ``conflict`` terms (no polarity model predicts that label),
and a predicted span that is a conflict term is not counted either way.

    python benchmarks/bench_extract.py --dataset restaurants --fold 0 --end-to-end --threads 1
    python benchmarks/bench_extract.py --seeds 13 14 15            # the whole CV: 30 trainings
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_rss_mb, shared_data_dir  # noqa: E402

DATASETS = {"restaurants": "Restaurants_Train_v2.xml", "laptops": "Laptop_Train_v2.xml"}


def folds(n: int, k: int, seed: int = 0) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [sorted(order[i::k]) for i in range(k)]


def polarity_pairs(path: Path) -> dict[tuple[str, int, int], str]:
    """(sentence, normalized span) -> gold polarity, conflict terms as "conflict"."""
    from xml.etree import ElementTree  # the public train files are trusted; the CLI reads with expat

    from core.ml.terms.spans import normalize_span

    out: dict[tuple[str, int, int], str] = {}
    for sentence in ElementTree.parse(path).getroot().iter("sentence"):
        text = sentence.findtext("text") or ""
        for term in sentence.iter("aspectTerm"):
            span = normalize_span(text, (int(term.get("from")), int(term.get("to"))))
            if span is not None:
                out[(text, *span)] = term.get("polarity", "")
    return out


def run_fold(name: str, fold: int, k: int, seed: int, epochs: int, end_to_end: bool, limit: int | None,
             polarity_model: str | None = None, recipe: dict[str, Any] | None = None,
             with_other: bool = False, probs_out: str | None = None, probs_in: str | None = None) -> dict[str, Any]:
    from core.ml.terms.data import read_annotated
    from core.ml.terms.spans import score_spans
    from core.ml.terms.train import ExtractorConfig, train_extractor

    path = shared_data_dir() / "semeval14" / DATASETS[name]
    data = read_annotated(path)[:limit]
    test_idx = set(folds(len(data), k)[fold])
    train = [s for i, s in enumerate(data) if i not in test_idx]
    test = [data[i] for i in sorted(test_idx)]
    extra = _other_domain(name, limit) if with_other else []
    recipe = dict(recipe or {})
    cfg = ExtractorConfig.for_engine(recipe.pop("engine", "lora"), epochs=epochs, seed=seed, **recipe)
    fold_file = f"{name}-seed{seed}-fold{fold}.json"
    texts = [s.text for s in test]
    timing: dict[str, Any] = {}
    if probs_in:  # the extractor's saved word probabilities of this fold: decode them, train nothing
        predicted = _saved_predictions(Path(probs_in) / fold_file, texts)
        timing["extractor"] = f"decoded from {Path(probs_in) / fold_file}"
    else:
        started = time.perf_counter()
        result = train_extractor(cfg, train + extra, [])
        timing["train_seconds"] = round(time.perf_counter() - started, 1)
        t0 = time.perf_counter()
        predicted = result.model.extract_spans(texts)
        timing["sentences_per_second"] = round(len(texts) / (time.perf_counter() - t0), 1)
        if probs_out:
            _write_probabilities(Path(probs_out) / fold_file, test, result.model.tag_probabilities(texts))
    out: dict[str, Any] = {"dataset": name, "fold": fold, "folds": k, "seed": seed, "epochs": epochs,
                           "engine": cfg.engine, "lr": cfg.lr, "n_train": len(train), "n_other_domain": len(extra),
                           "n_test": len(test),
                           **score_spans([s.spans for s in test], predicted).as_dict(), **timing}
    if end_to_end:
        print(json.dumps(out), file=sys.stderr, flush=True)  # the extraction figures, before the long part
        out["end_to_end"] = _end_to_end(path, train, test, predicted, seed, polarity_model)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _write_probabilities(path: Path, test: list, probs: list) -> None:
    """The test fold's word probabilities and gold spans, for bench_decoding.py (no retraining)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"text": s.text, "gold": [list(g) for g in s.spans], "probs": [[round(x, 6) for x in w] for w in p]}
            for s, p in zip(test, probs)]
    path.write_text(json.dumps(rows) + "\n", encoding="utf-8")


def _saved_predictions(path: Path, texts: list[str]) -> list[list[tuple[int, int]]]:
    """Spans decoded (as the product decodes them) from a fold's saved word probabilities."""
    from core.ml.terms.tagging import terms_of

    rows = json.loads(path.read_text(encoding="utf-8"))
    if [r["text"] for r in rows] != texts:
        raise SystemExit(f"{path}: its sentences are not this fold's test sentences")
    return [[(t.start, t.end) for t in terms_of(r["text"], r["probs"])] for r in rows]


@lru_cache(maxsize=2)  # read once, not once a fold
def _other_domain(name: str, limit: int | None) -> list:
    """The other train file, whole: a fold's test sentences are all from ``name``'s file, so adding
    the other domain's sentences to its training leaks nothing (the two files share no sentence)."""
    from core.ml.terms.data import read_annotated

    other = next(n for n in DATASETS if n != name)
    return read_annotated(shared_data_dir() / "semeval14" / DATASETS[other])[:limit]


def _end_to_end(path: Path, train: list, test: list, predicted: list, seed: int,
                polarity_model: str | None = None) -> dict[str, Any]:
    gold = polarity_pairs(path)
    started = time.perf_counter()
    model = _fold_polarity_model(gold, train, seed) if polarity_model is None else _fixed_polarity_model(polarity_model)
    seconds = time.perf_counter() - started
    items = [(s.text, a, b) for s, spans in zip(test, predicted) for a, b in spans
             if gold.get((s.text, a, b)) != "conflict"]
    labels = [p.label.value for p in model.predict_many(items)] if items else []
    pred_pairs = set(zip(items, labels))
    gold_pairs = {((s.text, a, b), gold[(s.text, a, b)]) for s in test for a, b in s.spans
                  if gold.get((s.text, a, b)) in ("negative", "neutral", "positive")}
    correct = len(pred_pairs & gold_pairs)
    p = correct / len(pred_pairs) if pred_pairs else 0.0
    r = correct / len(gold_pairs) if gold_pairs else 0.0
    source = "trained on this fold's training sentences" if polarity_model is None else polarity_model
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "n_gold": len(gold_pairs), "n_predicted": len(pred_pairs), "polarity_model": source,
            ("polarity_train_seconds" if polarity_model is None else "polarity_load_seconds"): round(seconds, 1)}


def _fold_polarity_model(gold: dict, train: list, seed: int) -> Any:
    from core.domain import Polarity, TermExample
    from core.ml.config import TrainConfig
    from core.ml.train import train as train_polarity

    examples = [TermExample(s.text, a, b, Polarity(gold[(s.text, a, b)])) for s in train for a, b in s.spans
                if gold.get((s.text, a, b)) in ("negative", "neutral", "positive")]
    cfg = TrainConfig.for_engine("lora", base_model="bundled", epochs=(3, 0), select_best=False, seed=seed)
    return train_polarity(cfg, examples, None).model


def _fixed_polarity_model(folder: str) -> Any:
    """A given polarity model (cheap: no training per fold). The starter was trained on 90 % of BOTH
    train files' terms, so on these folds its pairs are leaked, an upper bound, not a CV figure."""
    from core.ml.model import PolarityModel
    from core.paths import starter_model_dir

    return PolarityModel.load(starter_model_dir() if folder == "starter" else folder, device="cpu")


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean over the folds that finished, so a run stopped early still reports them."""
    keys = ("precision", "recall", "f1", "train_seconds", "sentences_per_second")
    mean = {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in keys if rows and all(k in r for r in rows)}
    e2e = [r["end_to_end"] for r in rows if "end_to_end" in r]
    if e2e:
        mean["end_to_end_f1"] = round(sum(e["f1"] for e in e2e) / len(e2e), 4)
    return {"folds_done": len(rows), "mean": mean, "folds": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", choices=(*DATASETS, "all"), default="all")
    ap.add_argument("--fold", type=int, default=None, help="one fold only (default: all)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[13])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--engine", choices=("lora", "full"), default="lora")
    ap.add_argument("--lr", type=float, default=None, help="body learning rate (default: the engine's)")
    ap.add_argument("--with-other-domain", action="store_true",
                    help="also train each fold on the other dataset's whole train file (what the starter sees)")
    ap.add_argument("--end-to-end", action="store_true", help="also train a polarity model per fold")
    ap.add_argument("--limit", type=int, default=None, help="first N sentences (smoke test)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (1 on a shared machine)")
    ap.add_argument("--polarity-model", default=None,
                    help="end to end with this polarity model ('starter' or a folder) instead of one per fold: "
                         "cheap, but the starter saw these sentences, so its figure is leaked")
    ap.add_argument("--out", default=None, help="also write {folds_done, mean, folds} here after every fold")
    ap.add_argument("--probs-out", default=None,
                    help="also write each test fold's word probabilities here (for bench_decoding.py)")
    ap.add_argument("--probs-in", default=None,
                    help="decode the folds' saved probabilities (--probs-out) instead of training extractors "
                         "(with --end-to-end: only the polarity models train)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    recipe: dict[str, Any] = {"engine": args.engine, **({"lr": args.lr} if args.lr else {})}
    names = list(DATASETS) if args.dataset == "all" else [args.dataset]
    fold_ids = range(args.folds) if args.fold is None else [args.fold]
    rows: list[dict[str, Any]] = []
    for name in names:
        for seed in args.seeds:
            for fold in fold_ids:
                rows.append(run_fold(name, fold, args.folds, seed, args.epochs, args.end_to_end, args.limit,
                                     args.polarity_model, recipe, args.with_other_domain, args.probs_out,
                                     args.probs_in))
                print(json.dumps(rows[-1]), flush=True)
                if args.out:
                    tmp = Path(args.out + ".tmp")
                    tmp.write_text(json.dumps(summarize(rows), indent=1) + "\n")
                    tmp.replace(args.out)


if __name__ == "__main__":
    main()
