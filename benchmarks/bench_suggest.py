"""`polarity project suggest` at growing project sizes: seconds, sentences/s and the process's
peak RSS for each, in a fresh process each (so every peak is that run's own). Prints JSON.

Each project holds --sizes raw review sentences (from ../shared/data, never copied into the
project; synthetic ones when it is absent), imported with `project import` as a user would.
Flat peak memory across sizes shows `project suggest` streams the project (chunks of 512
sentences, one transaction each) and never holds it whole.

    nice -n 10 .venv/bin/python benchmarks/bench_suggest.py --sizes 5000 20000 [--no-polarity]

Target (issue #10): `project suggest` on 100k sentences at flat memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_raw_import import sentences  # noqa: E402


def _polarity(*args: str) -> tuple[dict, float, float]:
    """Run the CLI; (its JSON, wall seconds, peak RSS in MB of that process)."""
    cmd = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "core.cli", *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    seconds = time.perf_counter() - started
    rss_kb = int(done.stderr.strip().splitlines()[-1])
    return json.loads(done.stdout or "{}"), seconds, rss_kb / 1024


def run(n: int, folder: Path, polarity: bool) -> dict:
    pool, source = sentences()
    rng = random.Random(n)
    raw = folder / f"reviews-{n}.txt"
    raw.write_text("".join(rng.choice(pool) + "\n" for _ in range(n)), encoding="utf-8")
    db = folder / f"p-{n}.db"
    _polarity("project", "init", str(db), "--json")
    _polarity("project", "import", str(db), str(raw), "--no-split", "--json")
    report, seconds, rss = _polarity("project", "suggest", str(db), "--json",
                                     *([] if polarity else ["--no-polarity"]))
    return {"sentences": n, "polarity": polarity, "source": source, "seconds": round(seconds, 1),
            "sentences_per_second": round(n / seconds, 1), "peak_rss_mb": round(rss, 1), "report": report}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[5000, 20000])
    ap.add_argument("--no-polarity", action="store_true")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            rows.append(run(n, Path(tmp), not args.no_polarity))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    out = {"cpu_count": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()], "runs": rows}
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
