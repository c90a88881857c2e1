"""Project store speed at 100k sentences: import, then every filter the app runs; prints JSON.

Sentences come from the public datasets in ../shared/data (never copied into the project),
repeated with varied sentence ids until there are --sentences of them. About 30 % of the terms
are imported without a label; a fake model version then stores a prediction for every term, so
the "disagree" and "least confident" filters have work to do.

    .venv/bin/python benchmarks/bench_store.py [--sentences 100000] [--keep DIR]

Targets (issue #3): import of 100k terms <= 20 s; any filter page <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.domain import LABELS, Polarity, Prediction, TermExample  # noqa: E402
from core.formats import read_examples, write_examples  # noqa: E402
from core.storage import Project, SentenceFilter  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SOURCES = ["centrale/traindata.csv", "semeval14/restaurants_train.tsv", "semeval14/laptops_train.tsv"]


def corpus(n_sentences: int, seed: int) -> list[TermExample]:
    """Examples of ``n_sentences`` distinct (text, id) sentences, ~30 % of terms unlabeled."""
    groups: dict[str, list[TermExample]] = {}
    for name in SOURCES:
        for ex in read_examples(DATA / name, lenient=True).examples:
            groups.setdefault(ex.sentence, []).append(ex)
    base = list(groups.values())
    rng = random.Random(seed)
    out: list[TermExample] = []
    for i in range(n_sentences):
        rep, group = divmod(i, len(base))
        for ex in base[group]:
            label = ex.polarity if rng.random() < 0.7 else None
            out.append(TermExample(ex.sentence, ex.start, ex.end, label, ex.category, f"r{rep}-{group}"))
    return out


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median milliseconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", metavar="DIR", help="write the project here instead of a temp folder")
    args = parser.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-store-"))
    folder.mkdir(parents=True, exist_ok=True)
    examples = corpus(args.sentences, args.seed)
    data_file = folder / "corpus.jsonl"
    write_examples(data_file, examples)
    db = folder / "bench.db"
    for leftover in folder.glob("bench.db*"):
        leftover.unlink()
    shutil.rmtree(folder / "bench.models", ignore_errors=True)
    out: dict[str, object] = {"sentences": args.sentences, "terms_in_file": len(examples),
                              "page_size": args.page_size}
    with Project.create(db) as project:
        t = time.perf_counter()
        report = project.import_file(data_file)
        out["import_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        read_examples(data_file)
        out["of_which_parsing_s"] = round(time.perf_counter() - t, 2)
        out["import"] = {"sentences_added": report.sentences_added, "terms_added": report.terms_added,
                         "labels_added": report.labels_added}
        t = time.perf_counter()
        again = project.import_file(data_file)
        out["reimport_s"] = round(time.perf_counter() - t, 2)
        out["reimport_added"] = again.sentences_added + again.terms_added + again.labels_added

        # A fake model version with a prediction for every term.
        model_dir = project.models_dir / "fake"
        model_dir.mkdir(parents=True)
        version = project.register_model(model_dir, "two-phase", "bundled", {}, {}, 0, activate=False)
        rng = random.Random(args.seed)
        preds = []
        for term_id, _ex in project.unlabeled_terms() + _labeled_ids(project):
            raw = [rng.random() for _ in LABELS]
            probs = tuple(x / sum(raw) for x in raw)
            preds.append((term_id, Prediction(LABELS[max(range(3), key=probs.__getitem__)], probs)))
        t = time.perf_counter()
        project.store_predictions(version.id, preds)
        out["store_predictions_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        project.activate(version.id)
        out["activate_s"] = round(time.perf_counter() - t, 2)

        filters = {
            "all": SentenceFilter("all"),
            "unlabeled": SentenceFilter("unlabeled"),
            "labeled": SentenceFilter("labeled"),
            "disagree": SentenceFilter("disagree"),
            "least_confident": SentenceFilter("least_confident"),
            "least_confident_negative": SentenceFilter("least_confident", label=Polarity.NEGATIVE),
            "label_neutral": SentenceFilter("labeled", label=Polarity.NEUTRAL),
            "text_common": SentenceFilter("all", text="food"),
            "text_rare": SentenceFilter("all", text="tortelini"),
            "text_absent": SentenceFilter("all", text="zzzqqq"),
            "unlabeled_text": SentenceFilter("unlabeled", text="service"),
        }
        pages: dict[str, dict[str, float]] = {}
        for name, f in filters.items():
            count_ms, n = timed(lambda f=f: project.count(f), repeat=3)
            first_ms, _ = timed(lambda f=f: project.page(f, 0, args.page_size))
            deep = max(0, int(n) // 2)  # type: ignore[arg-type]
            deep_ms, _ = timed(lambda f=f, d=deep: project.page(f, d, args.page_size))
            pages[name] = {"matches": n, "count_ms": count_ms, "first_page_ms": first_ms, "middle_page_ms": deep_ms}
        out["filters"] = pages
        out["stats_ms"], stats = timed(project.stats, repeat=3)
        out["stats"] = stats.as_dict()  # type: ignore[union-attr]
        term_id = project.page(SentenceFilter("unlabeled"), 0, 1)[0].terms[0].id
        out["set_label_ms"], _ = timed(lambda: project.set_label(term_id, rng.choice(LABELS)), repeat=20)
        out["history_ms"], _ = timed(lambda: project.history(term_id))
        out["snapshot_ms"], snap = timed(project.labeled_examples, repeat=1)
        out["snapshot_labels"] = len(snap)  # type: ignore[arg-type]
    worst = max(max(p["first_page_ms"], p["middle_page_ms"]) for p in pages.values())
    out["worst_page_ms"] = worst
    out["targets_met"] = {"import_le_20s": out["import_s"] <= 20, "page_le_50ms": worst <= 50}
    out["db_mb"] = round(db.stat().st_size / 2**20, 1)
    print(json.dumps(out, indent=2))
    return 0


def _labeled_ids(project: Project) -> list[tuple[int, None]]:
    from sqlalchemy import select

    from core.storage.schema import Term

    with project.engine.connect() as conn:
        return [(r[0], None) for r in conn.execute(select(Term.id).where(Term.current_label.is_not(None)))]


if __name__ == "__main__":
    raise SystemExit(main())
