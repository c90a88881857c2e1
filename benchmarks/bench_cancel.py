"""How long Cancel takes: the demo project trained with the bundled MiniLM, stopped in each long step.

For every phase asked for, a fresh copy of the demo project is trained on a thread (as the app's
worker does); the moment that phase's Nth progress event arrives, ``should_stop`` turns true and
the clock runs until ``train_project`` has returned (the run marked cancelled, nothing saved).
Prints one JSON object: seconds from the request to the end, per phase.

    .venv/bin/python benchmarks/bench_cancel.py [--phases body features head scoring saving] [--after 2] [--limit N]

Target (issue 13, defect 9): <= 1 s in every phase.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.formats import read_examples  # noqa: E402
from core.ml.config import TrainConfig  # noqa: E402
from core.ml.events import TrainingProgress  # noqa: E402
from core.ml.project_train import train_project  # noqa: E402
from core.paths import demo_corpus_path  # noqa: E402
from core.storage import Project  # noqa: E402


def cancel_at(phase: str, after: int, folder: Path, limit: int | None) -> dict[str, object]:
    db = folder / f"{phase}.db"
    with Project.create(db) as project:
        if limit:  # fewer terms: the same steps, sooner (a busy machine takes minutes per epoch)
            project.import_examples(read_examples(demo_corpus_path()).examples[:limit])
        else:
            project.import_file(demo_corpus_path())
    asked: list[float] = []
    seen = {"n": 0}

    def on_progress(event: TrainingProgress) -> None:
        if event.phase == phase and not asked:
            seen["n"] += 1
            if seen["n"] >= after:
                asked.append(time.perf_counter())

    cfg = TrainConfig.for_engine("two-phase", epochs=(1, 3), device="cpu")
    done: dict[str, object] = {}

    def work() -> None:
        run, version = train_project(db, cfg, on_progress=on_progress, should_stop=lambda: bool(asked))
        done.update(status=run.status, saved=version is not None, ended=time.perf_counter())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if not asked:
        return {"phase": phase, "status": done.get("status"), "note": "the phase never came"}
    return {"phase": phase, "status": done["status"], "saved": done["saved"],
            "seconds": round(float(done["ended"]) - asked[0], 3)}  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phases", nargs="+", default=["body", "features", "head", "scoring", "saving"])
    parser.add_argument("--after", type=int, default=2, help="cancel at this progress event of the phase")
    parser.add_argument("--limit", type=int, help="import only the first N terms of the demo corpus")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-cancel-") as tmp:
        for phase in args.phases:
            results.append(cancel_at(phase, 1 if phase == "saving" else args.after, Path(tmp), args.limit))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # each as it comes: runs are long
    print(json.dumps({"benchmark": "cancel", "target_s": 1.0, "limit": args.limit, "results": results}))


if __name__ == "__main__":
    main()
