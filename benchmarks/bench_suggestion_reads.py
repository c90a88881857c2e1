"""What the app's suggestion review reads, at scale: prints JSON (milliseconds, median of --repeat).

A project of --sentences raw sentences, each with two open suggestions (the worst case: every
sentence suggested), then the reads the app runs: the "Open suggestions" filter's count and first
page (GUI thread, as every filter), the open suggestions and done marks of one list page of 100
(GUI thread, once per page loaded), the open-suggestion count (off the GUI thread), one accept.

    .venv/bin/python benchmarks/bench_suggestion_reads.py [--sentences 100000] [--keep FILE]

Target: the GUI-thread reads <= 100 ms (the window never waits longer than that).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.storage import Project  # noqa: E402
from core.storage.schema import Sentence  # noqa: E402
from core.storage.suggestions import NewSuggestion  # noqa: E402

TEXT = "The pasta number {} was cold but the staff were lovely."


def build(path: Path, n: int) -> None:
    with Project.create(path) as p:
        with p._write() as s:  # raw sentences in one transaction, as an import would
            s.add_all([Sentence(text=TEXT.format(i), source="raw.txt") for i in range(n)])
        ids = [sid for sid, _ in p.iter_sentence_texts()]
        for k in range(0, len(ids), 5000):
            chunk = ids[k:k + 5000]
            p.store_suggestions([NewSuggestion(i, 4, 9, 0.9, (0.1, 0.2, 0.7)) for i in chunk]
                                + [NewSuggestion(i, 40, 45, 0.8, (0.6, 0.3, 0.1)) for i in chunk])


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the project here (reused when it exists)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-suggest-"))
    path = args.keep or tmp / "p.db"
    t = time.perf_counter()
    if not path.exists():
        build(path, args.sentences)
    out: dict[str, float | int] = {"sentences": args.sentences, "build_s": round(time.perf_counter() - t, 1)}
    with Project.open(path) as p:
        mid = args.sentences // 2
        page = [r.id for r in p.page_with_suggestions(mid, 100)]
        out["filter_count_ms"] = timed(lambda: p.count_with_suggestions(), args.repeat)
        out["filter_first_page_ms"] = timed(lambda: p.page_with_suggestions(0, 100), args.repeat)
        out["filter_search_count_ms"] = timed(lambda: p.count_with_suggestions("number 99"), args.repeat)
        out["page_overview_100_ms"] = timed(lambda: p.suggestion_overview(page), args.repeat)
        sug = iter(s for sid in page for s in p.suggestions(sid))
        out["accept_ms"] = timed(lambda: p.accept_suggestion(next(sug).id), args.repeat)
    print(json.dumps(out))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
