"""How the extractor's word probabilities become terms, scored on saved CV folds (no training):
each word's own argmax tag (the decoding before this stop) against the best valid BIO sequence
(Viterbi, ``core.ml.terms.spans.best_tags``) at several biases towards O. Prints JSON.

The bias is a setting chosen on the train files' CV, so besides the mean per bias it reports a
nested figure: for each fold, the bias that scores best on the other folds, scored on that fold.

    python benchmarks/bench_extract.py --dataset restaurants --engine full --epochs 4 --probs-out P
    python benchmarks/bench_decoding.py P/restaurants-seed13-fold*.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.ml.terms.spans import SpanScore, best_tags, score_spans, tags_to_spans, words  # noqa: E402

BIASES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)


def argmax_tags(probs: list[list[float]], _bias: float = 0.0) -> list[int]:
    return [max(range(3), key=lambda k: p[k]) for p in probs]


def score(rows: list[dict], decode, bias: float) -> SpanScore:
    predicted = [tags_to_spans(words(row["text"]), decode(row["probs"], bias)) for row in rows]
    return score_spans([[tuple(g) for g in row["gold"]] for row in rows], predicted)


def figures(s: SpanScore) -> dict[str, float]:
    return {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4)}


def mean(scores: list[SpanScore]) -> dict[str, float]:
    return {k: round(sum(getattr(s, k) for s in scores) / len(scores), 4) for k in ("precision", "recall", "f1")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folds", nargs="+", help="files written by bench_extract.py --probs-out")
    args = ap.parse_args()
    folds = {Path(f).stem: json.loads(Path(f).read_text(encoding="utf-8")) for f in sorted(args.folds)}
    argmax = {name: score(rows, argmax_tags, 0.0) for name, rows in folds.items()}
    viterbi = {b: {name: score(rows, best_tags, b) for name, rows in folds.items()} for b in BIASES}
    nested = {}
    for name in folds:  # the bias best on the other folds, scored on this one
        others = [n for n in folds if n != name] or [name]
        pick = max(BIASES, key=lambda b: sum(viterbi[b][n].f1 for n in others))
        nested[name] = {"bias": pick, **figures(viterbi[pick][name])}
    print(json.dumps({
        "folds": list(folds),
        "argmax": {"mean": mean(list(argmax.values())), "per_fold_f1": [round(s.f1, 4) for s in argmax.values()]},
        "viterbi": {str(b): {"mean": mean(list(v.values())), "per_fold_f1": [round(s.f1, 4) for s in v.values()]}
                    for b, v in viterbi.items()},
        "nested": {"mean_f1": round(sum(r["f1"] for r in nested.values()) / len(nested), 4), "per_fold": nested},
    }, indent=1))


if __name__ == "__main__":
    main()
