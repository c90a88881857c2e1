"""Streaming batch prediction: throughput and peak memory for growing files. Prints JSON.

Builds JSONL inputs of N terms (the centrale dev sentences repeated with varied ids) in a
temporary folder, then runs `predict_file` on each in a fresh process, so every peak RSS is
that run's own. Flat peak memory across sizes shows the stream holds no file in memory.

    python benchmarks/bench_batch.py --sizes 10000 100000 1000000 --model DIR [--runtime onnx]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load, peak_rss_mb, shared_data_dir  # noqa: E402


def make_input(path: Path, n: int) -> None:
    base = load(shared_data_dir() / "centrale" / "devdata.csv")
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            e = base[i % len(base)]
            fh.write(json.dumps({"id": f"s{i}", "text": e.sentence, "start": e.start, "end": e.end}) + "\n")


def run_one(model_dir: str, src: str, dst: str, batch_size: int, runtime: str = "torch") -> dict:
    from core.batch import predict_file
    from core.serve import load_predictor

    model = load_predictor(model_dir, runtime=runtime, device="cpu")
    base_rss = peak_rss_mb()
    report = predict_file(model, src, dst, batch_size=batch_size)
    report.update({"runtime": model.runtime, "precision": model.precision, "rss_after_load_mb": base_rss,
                   "peak_rss_mb": peak_rss_mb(), "torch_imported": "torch" in sys.modules})
    return report


def main() -> None:
    from core.paths import starter_model_dir

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", type=int, default=[10_000, 100_000])
    ap.add_argument("--model", default=str(starter_model_dir()))
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--runtime", choices=("torch", "onnx"), default="torch")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    if args.runtime == "onnx":  # the starter's export is built (with torch) once, here, not in a measured run
        from core.serve import load_predictor

        load_predictor(args.model, runtime="onnx")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            src, dst = Path(tmp) / f"in-{n}.jsonl", Path(tmp) / f"out-{n}.jsonl"
            make_input(src, n)
            with mp.get_context("spawn").Pool(1) as pool:
                report = pool.apply(run_one, (args.model, str(src), str(dst), args.batch_size, args.runtime))
            report.update({"terms_in_file": n, "input_mb": round(src.stat().st_size / 2**20, 1),
                           "output_mb": round(dst.stat().st_size / 2**20, 1)})
            report.pop("output", None)
            rows.append(report)
            print(json.dumps(report), file=sys.stderr, flush=True)
            src.unlink()
            dst.unlink()
    text = json.dumps({"model": args.model, "batch_size": args.batch_size, "runs": rows}, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
