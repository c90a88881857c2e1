"""Per-step training cost of each base encoder (batch 32 of centrale train, markers, float32 CPU),
and one end-to-end tiny training + prediction per base to show the path works. Prints JSON.

    nice -n 10 python benchmarks/bench_step.py --bases bundled mpnet --out benchmarks/results/step-cpu.json

A step is forward + backward + AdamW update of the whole network (two-phase phase one). Timings on a
shared machine vary; the ratio between bases measured in the same process is the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load, peak_rss_mb, shared_data_dir  # noqa: E402


def step_seconds(base: str, examples: list, steps: int, fused: bool = True) -> dict[str, Any]:
    import torch

    from core.ml.base_models import resolve_base_model
    from core.ml.encoding import TermEncoder
    from core.ml.network import PolarityNet, load_encoder, load_tokenizer

    path = resolve_base_model(base)
    tokenizer = load_tokenizer(path)
    encoder = TermEncoder.from_tokenizer(tokenizer, "markers", 128)
    net = PolarityNet(load_encoder(path)).train()
    batch = encoder.collate(encoder.encode_many([(e.sentence, e.start, e.end) for e in examples]))
    y = torch.tensor([e.polarity.index for e in examples])
    from core.ml.loop import adamw

    params = [p for p in net.parameters() if p.requires_grad]
    # The product's optimizer (fused where torch has the kernel), or torch's per-tensor default.
    optimizer = adamw([{"params": params, "lr": 1e-5}], 0.01) if fused else torch.optim.AdamW(params, lr=1e-5)
    times = []
    for i in range(steps + 1):  # the first step pays one-off allocations
        started = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(net(batch), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if i:
            times.append(time.perf_counter() - started)
    return {"base": base, "params_m": round(sum(p.numel() for p in net.parameters()) / 1e6, 1),
            "tokens_per_item": round(float(batch["attention_mask"].sum()) / len(examples), 1),
            "optimizer": "adamw fused" if fused else "adamw per-tensor",
            "step_seconds_median": round(statistics.median(times), 3), "steps": steps, "loss": round(loss.item(), 4)}


def tiny_run(base: str, examples: list) -> dict[str, Any]:
    from core.ml.config import TrainConfig
    from core.ml.train import train

    cfg = TrainConfig.for_engine("two-phase", base_model=base, epochs=(1, 2), batch_size=16, select_best=False)
    started = time.perf_counter()
    result = train(cfg, examples[:32], examples[32:64])
    pred = result.model.predict_one("The pasta was cold but the staff were lovely", 27, 32)
    return {"train_seconds": round(time.perf_counter() - started, 1), "temperature": result.model.temperature,
            "dev_accuracy_64_terms": result.metrics["accuracy"], "staff": pred.label.value,
            "staff_confidence": round(pred.confidence, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bases", nargs="*", default=["bundled", "mpnet"])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--out")
    args = ap.parse_args()
    import torch

    examples = load(shared_data_dir() / "centrale" / "traindata.csv")[:64]
    report: dict[str, Any] = {"torch_threads": torch.get_num_threads(), "batch": 32, "bases": {}}
    for base in args.bases:
        row = step_seconds(base, examples[:32], args.steps)
        row["per_tensor_adamw_step_seconds_median"] = step_seconds(base, examples[:32], args.steps,
                                                                   fused=False)["step_seconds_median"]
        row["tiny_run"] = tiny_run(base, examples)
        report["bases"][base] = row
        print(json.dumps(row), file=sys.stderr, flush=True)
    if "bundled" in report["bases"] and "mpnet" in report["bases"]:
        report["mpnet_over_minilm"] = round(report["bases"]["mpnet"]["step_seconds_median"]
                                            / report["bases"]["bundled"]["step_seconds_median"], 2)
    report["peak_rss_mb"] = peak_rss_mb()
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
