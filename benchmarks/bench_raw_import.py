"""Raw text import speed: a .txt file of --lines texts into a new project, split into sentences
with pysbd (and with --no-split), then the same file again (which adds nothing); prints JSON.

Each line joins one to three review sentences from ../shared/data (never copied into the
project; synthetic sentences when it is absent), so about two lines in three need the splitter.

    nice -n 10 .venv/bin/python benchmarks/bench_raw_import.py [--lines 100000]

Target (issue #10): 100k raw lines import in <= 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.formats.sentences import _workers  # noqa: E402
from core.storage import Project  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SOURCES = ["centrale/traindata.csv", "semeval14/restaurants_train.tsv", "semeval14/laptops_train.tsv"]


def sentences() -> tuple[list[str], str]:
    """Distinct review sentences, and where they came from."""
    if all((DATA / name).is_file() for name in SOURCES):
        from core.formats import read_examples

        found = {ex.sentence.strip() for name in SOURCES
                 for ex in read_examples(DATA / name, lenient=True).examples}
        return sorted(s for s in found if "\n" not in s), "shared/data"
    rng = random.Random(0)
    words = "the food staff room view price was were great cold slow lovely noisy clean and but".split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(4, 14))).capitalize() + "."
            for _ in range(5000)], "synthetic"


def write_lines(path: Path, n: int, seed: int) -> int:
    pool, _ = sentences()
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(n):
            fh.write(" ".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 3)))) + "\n")
    return path.stat().st_size


def cpu() -> float:
    """CPU seconds of this process and of its finished workers (the splitter's pool)."""
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def run(path: Path, folder: Path, split: bool) -> dict[str, object]:
    """Import (read, split, store in one transaction), then import the same file again."""
    db = folder / f"{'split' if split else 'whole'}.db"
    with Project.create(db) as project:
        t0, c0 = time.perf_counter(), cpu()
        report = project.import_file(path, split=split)
        t1, c1 = time.perf_counter(), cpu()
        again = project.import_file(path, split=split)
        t2, c2 = time.perf_counter(), cpu()
    return {"split": split, "sentences": report.sentences_added, "documents": report.documents,
            "import_seconds": round(t1 - t0, 2), "import_cpu_seconds": round(c1 - c0, 2),
            "reimport_seconds": round(t2 - t1, 2), "reimport_cpu_seconds": round(c2 - c1, 2),
            "reimport_added": again.sentences_added}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-split-too", action="store_true", help="also time --no-split")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "raw.txt"
        size = write_lines(path, args.lines, args.seed)
        results = [run(path, folder, True)] + ([run(path, folder, False)] if args.no_split_too else [])
    # On a shared machine wall time is what the others leave: the load average says how much that is.
    print(json.dumps({"lines": args.lines, "bytes": size, "source": sentences()[1], "target_seconds": 30,
                      "split_workers": _workers(), "load_average": [round(x, 1) for x in os.getloadavg()],
                      "runs": results}, indent=2))


if __name__ == "__main__":
    main()
