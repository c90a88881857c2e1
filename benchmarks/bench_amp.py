"""Mixed precision on a GPU: one two-phase and one LoRA run, AMP on and off, centrale train -> dev.

Reports per-epoch seconds, peak GPU memory, dev accuracy and the card's name as JSON. Runs on CPU
too (AMP is then off whatever is asked, which the JSON says), so the script itself is testable.

    python benchmarks/bench_amp.py --base-model bundled
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load, shared_data_dir  # noqa: E402


def one_run(engine: str, amp: bool, args: argparse.Namespace, train_set: list, dev_set: list) -> dict:
    import torch

    from core.ml.config import TrainConfig
    from core.ml.device import amp_enabled, pick_device
    from core.ml.train import train

    device = pick_device(args.device)
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    cfg = TrainConfig.for_engine(engine, base_model=args.base_model, device=device, amp=amp,
                                 amp_dtype=args.amp_dtype, select_best=False, seed=args.seed)
    started = time.perf_counter()
    result = train(cfg, train_set, dev_set)
    seconds = time.perf_counter() - started
    epochs = [h for h in result.history if h["phase"] in ("body", "lora")]
    return {
        "engine": engine, "amp": amp_enabled(device, amp), "amp_dtype": args.amp_dtype if amp_enabled(device, amp) else None,
        "device": device, "train_seconds": round(seconds, 2),
        "epoch_seconds": [h["seconds"] for h in epochs],
        "head_phase_seconds": round(sum(h["seconds"] for h in result.history if h["phase"] == "head"), 2),
        "peak_gpu_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1) if device == "cuda" else None,
        "dev_accuracy": result.metrics["accuracy"], "dev_macro_f1": result.metrics["macro_f1"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-model", default="bundled")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--amp-dtype", default="float16", choices=("float16", "bfloat16"))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N train/dev rows (smoke test)")
    args = ap.parse_args()
    import torch

    data = shared_data_dir()
    train_set = load(data / "centrale" / "traindata.csv")[: args.limit]
    dev_set = load(data / "centrale" / "devdata.csv")[: args.limit]
    card = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    # A first short run pays CUDA's start-up costs, so the timed runs compare like with like.
    one_run("two-phase", False, args, train_set[:64], dev_set[:16])
    runs = [one_run(engine, amp, args, train_set, dev_set)
            for engine in ("two-phase", "lora") for amp in (True, False)]
    print(json.dumps({"card": card, "torch": torch.__version__, "n_train": len(train_set),
                      "n_dev": len(dev_set), "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
