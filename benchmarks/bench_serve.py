"""The ONNX serving path against torch, side by side in one run. Prints JSON.

- cold: whole-process one-term `polarity predict` (onnx, the default) against
  `python -c "import torch"` on the same machine in the same run, interleaved; the ratio is
  what holds on a noisy machine (target < 1). One torch-runtime predict is timed too.
- batch: `predict_file` on the centrale dev terms repeated (JSONL), each runtime in a fresh
  process: terms/s and peak RSS, onnx float32, onnx int8 and torch (its default precision:
  bfloat16 on a CPU with AMX, else float32).
- agreement: labels and the largest probability difference of onnx (float32, int8) against
  torch float32 on the centrale dev set (skipped without ../shared/data) and the demo corpus.
  The int8 copy is written first if the folder lacks it (`polarity models export DIR --int8`).
- extract: whole-process `polarity terms extract` (the starter extractor) of the demo corpus's
  sentences repeated, onnx (its int8 copy, the starter's default, and float32; each
  ``--extract-repeats`` times) and torch, terms only and with the polarity model: sentences/s as
  the command reports it (its run, not the process start-up) and the whole process's seconds.

    python benchmarks/bench_serve.py [--model DIR] [--repeats 5] [--batch-terms 2000]
                                     [--extract-sentences 2000] [--out FILE]

The default model is the starter. It was trained on SemEval-14 restaurants, so no *score* on
centrale dev is reported here, only agreement between runtimes, which that does not inflate.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, peak_rss_mb  # noqa: E402

SENTENCE = "The pasta was cold but the staff were lovely"


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                HF_HUB_OFFLINE="1", HF_HUB_DISABLE_PROGRESS_BARS="1")


def _wall(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=_env(), cwd=ROOT)
    return time.perf_counter() - started


def cold(model: str, repeats: int) -> dict:
    predict = [sys.executable, "-m", "core.cli", "predict", "--model", model, "--sentence", SENTENCE, "--term", "staff"]
    torch_import = [sys.executable, "-c", "import torch"]
    _wall(predict)  # warms the page cache (and builds the starter's export if it is missing)
    onnx_s, torch_s = [], []
    for _ in range(repeats):  # interleaved, so both see the same machine load
        torch_s.append(_wall(torch_import))
        onnx_s.append(_wall(predict))
    torch_predict = _wall(predict + ["--runtime", "torch"])
    med_onnx, med_torch = statistics.median(onnx_s), statistics.median(torch_s)
    return {"repeats": repeats, "predict_onnx_s": [round(x, 3) for x in onnx_s],
            "import_torch_s": [round(x, 3) for x in torch_s], "predict_onnx_median_s": round(med_onnx, 3),
            "import_torch_median_s": round(med_torch, 3), "ratio_predict_over_import_torch": round(med_onnx / med_torch, 3),
            "predict_torch_runtime_s": round(torch_predict, 3)}


def _batch_run(model: str, runtime: str, precision: str, src: str, dst: str) -> dict:
    from core.batch import predict_file
    from core.serve import load_predictor

    started = time.perf_counter()
    predictor = load_predictor(model, runtime=runtime, precision=precision, device="cpu")
    load_s = time.perf_counter() - started
    rss_loaded = peak_rss_mb()
    report = predict_file(predictor, src, dst, batch_size=32)
    return {"runtime": predictor.runtime, "precision": predictor.precision, "load_s": round(load_s, 2),
            "terms": report["terms"], "seconds": report["seconds"], "terms_per_second": report["terms_per_second"],
            "rss_after_load_mb": rss_loaded, "peak_rss_mb": peak_rss_mb(),
            "torch_imported": "torch" in sys.modules}


def batch(model: str, dev: list, n: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with open(src, "w", encoding="utf-8") as fh:
            for i in range(n):
                e = dev[i % len(dev)]
                fh.write(json.dumps({"id": f"s{i}", "text": e.sentence, "start": e.start, "end": e.end}) + "\n")
        for runtime, precision in (("onnx", "float32"), ("torch", "auto"), ("onnx", "int8")):
            with mp.get_context("spawn").Pool(1) as pool:
                row = pool.apply(_batch_run, (model, runtime, precision, str(src), str(dst)))
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    return rows


def agreement(model: str, sets: dict[str, list]) -> dict:
    import numpy as np

    from core.serve import load_predictor

    ref = load_predictor(model, runtime="torch", precision="float32", device="cpu")
    out: dict = {}
    for precision in ("float32", "int8"):
        onnx = load_predictor(model, runtime="onnx", precision=precision)
        for name, examples in sets.items():
            items = [(e.sentence, e.start, e.end) for e in examples]
            a, b = np.array(onnx.predict_proba(items)), np.array(ref.predict_proba(items))
            out.setdefault(name, {"terms": len(items)})[f"onnx_{precision}_vs_torch_float32"] = {
                "label_agreement": round(float((a.argmax(1) == b.argmax(1)).mean()), 4),
                "differing_labels": int((a.argmax(1) != b.argmax(1)).sum()),
                "max_prob_diff": float(f"{np.abs(a - b).max():.3g}")}
    return out


def extract(model: str, texts: list[str], n: int, repeats: int = 1) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.txt", Path(tmp) / "out.jsonl"
        src.write_text("".join(texts[i % len(texts)] + "\n" for i in range(n)), encoding="utf-8")
        base = [sys.executable, "-m", "core.cli", "terms", "extract", "--input", str(src), "--output", str(dst),
                "--no-split", "--json"]
        _wall(base + ["--no-polarity"])  # warms the page cache (and builds the starter extractor's export)
        runs = [("onnx", "int8", repeats), ("onnx", "float32", repeats), ("torch", "float32", 1)]
        for runtime, precision, times in runs:
            for polarity in (False, True):
                cmd = base + ["--runtime", runtime, "--precision", precision]
                cmd += ["--polarity-model", model] if polarity else ["--no-polarity"]
                for _ in range(times):
                    rows.append(_extract_row(cmd, runtime, polarity))
    return rows


def _extract_row(cmd: list[str], runtime: str, polarity: bool) -> dict:
    started = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=_env(), cwd=ROOT)
    report = json.loads(done.stdout)
    row = {"runtime": runtime, "precision": report["extractor_precision"], "polarity": polarity,
           "sentences": report["sentences"], "terms": report["terms"],
           "sentences_per_second": report["sentences_per_second"], "process_s": round(time.perf_counter() - started, 2)}
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def load(path: Path) -> list:
    """Every term of a file, labeled or not (the demo corpus has 60 unlabeled): agreement needs no label."""
    from core.formats import read_examples

    return read_examples(str(path), lenient=True).examples


def main() -> None:
    from core.paths import demo_corpus_path, starter_model_dir

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(starter_model_dir()))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch-terms", type=int, default=2000)
    ap.add_argument("--extract-sentences", type=int, default=2000)
    ap.add_argument("--extract-repeats", type=int, default=3, help="runs of each onnx precision")
    ap.add_argument("--skip", nargs="*", default=[], choices=("cold", "batch", "agreement", "extract"))
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    sets = {"demo": load(demo_corpus_path())}
    dev_path = ROOT.parent / "shared" / "data" / "centrale" / "devdata.csv"
    if dev_path.is_file():
        sets["centrale_dev"] = load(dev_path)
    result: dict = {"model": args.model, "cpu_count": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    subprocess.run([sys.executable, "-m", "core.cli", "models", "export", args.model, "--int8"],
                   check=True, capture_output=True, env=_env(), cwd=ROOT)  # the int8 copy is written on request only
    if "cold" not in args.skip:
        result["cold"] = cold(args.model, args.repeats)
        print(json.dumps(result["cold"]), file=sys.stderr, flush=True)
    if "batch" not in args.skip:
        result["batch"] = batch(args.model, sets.get("centrale_dev") or sets["demo"], args.batch_terms)
        by = {(r["runtime"], r["precision"]): r["terms_per_second"] for r in result["batch"]}
        torch_default = next(r for r in result["batch"] if r["runtime"] == "torch")
        for precision in ("float32", "int8"):
            result[f"batch_speedup_onnx_{precision}_over_torch_default"] = round(
                by[("onnx", precision)] / torch_default["terms_per_second"], 2)
    if "agreement" not in args.skip:
        result["agreement"] = agreement(args.model, sets)
    if "extract" not in args.skip:
        texts = sorted({e.sentence for e in sets["demo"]})
        result["extract"] = extract(args.model, texts, args.extract_sentences, args.extract_repeats)
    result["load_average_at_end"] = os.getloadavg()
    if "centrale_dev" not in sets:
        result["centrale_dev"] = f"skipped: {dev_path} is absent"
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
