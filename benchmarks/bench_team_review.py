"""Team review speed: three annotators' imports, agreement, the "annotators disagree" filter, the
training snapshot with adjudications, export with every annotator, bulk accept and its undo; prints JSON.

Synthetic sentences (the benchmark needs no dataset): each annotator labels every term, agreeing
with a hidden truth 80 % of the time; a fake model version stores a prediction for every term.

    .venv/bin/python benchmarks/bench_team_review.py [--terms 20000] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.domain import LABELS, Prediction, TermExample  # noqa: E402
from core.storage import Project, SentenceFilter  # noqa: E402

WORDS = ["staff", "pasta", "room", "screen", "battery", "service", "price", "view", "keyboard", "wine"]


def timed(results: dict[str, Any], name: str, work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = work()
    results[name] = round(time.perf_counter() - start, 3)
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--terms", type=int, default=20000)
    ap.add_argument("--db", help="a database URL (default: a SQLite file in a temporary folder)")
    args = ap.parse_args()
    rng = random.Random(7)
    folder = Path(tempfile.mkdtemp(prefix="bench-team-"))
    location: str | Path = args.db or folder / "p.db"
    sentences = [f"Review {i}: the {WORDS[i % len(WORDS)]} was something else." for i in range(args.terms)]
    spans = [(s.index("the ") + 4, s.index(" was")) for s in sentences]
    truth = [rng.choice(LABELS) for _ in sentences]
    out: dict[str, Any] = {"terms": args.terms, "backend": "postgresql" if args.db else "sqlite"}
    with Project.create(location, models_dir=folder / "models", author="lead") as p:
        for n, name in enumerate(("anna", "bob", "carl")):
            labels = [t if rng.random() < 0.8 else rng.choice(LABELS) for t in truth]
            examples = [TermExample(s, a, b, lab) for s, (a, b), lab in zip(sentences, spans, labels)]
            timed(out, f"import_{name}_s", lambda: p.import_examples(examples, source=f"{name}.tsv", author=name))
        report = timed(out, "agreement_s", p.agreement)
        out["alpha"] = round(report.alpha or 0.0, 4)
        out["disputed_sentences"] = timed(out, "count_disagree_s", lambda: p.count(SentenceFilter("annotators_disagree")))
        page = timed(out, "page_disagree_s", lambda: p.page(SentenceFilter("annotators_disagree"), limit=50))
        p.update_reviewers(add=["rita"])
        terms = [t.id for s in page for t in s.terms]
        timed(out, "adjudicate_50_s", lambda: [p.adjudicate(t, LABELS[0], author="rita") for t in terms])
        timed(out, "training_snapshot_s", p.labeled_examples)
        timed(out, "export_all_annotators_s", lambda: p.export_file(folder / "all.jsonl", all_annotators=True))
        (folder / "m1").mkdir()
        version = p.register_model(folder / "m1", "two-phase", "bundled", {}, {}, 0)
        # 5 % of the terms unlabeled again (a cleared label), then a prediction for every term.
        ids = [t.id for s in p.page(limit=args.terms) for t in s.terms]
        timed(out, "clear_5pct_s", lambda: [p.set_label(t, None, author="lead") for t in ids[: args.terms // 20]])
        preds = [(t, Prediction(LABELS[t % 3], (0.02, 0.02, 0.96) if t % 2 else (0.3, 0.3, 0.4))) for t in ids]
        timed(out, "store_predictions_s", lambda: p.store_predictions(version.id, preds))
        dry = timed(out, "accept_dry_run_s", lambda: p.accept_predictions(0.95, dry_run=True))
        done = timed(out, "accept_s", lambda: p.accept_predictions(0.95))
        out["accepted"] = done.accepted
        assert dry.accepted == done.accepted
        undo = timed(out, "undo_accept_s", p.undo_accept)
        out["undone"] = undo.undone
    print(json.dumps(out))


if __name__ == "__main__":
    main()
