#!/usr/bin/env bash
# The accurate tier on a GPU: MPNet fine-tuning presets by 5-fold CV on restaurants TRAIN, the frozen
# protocol for comparison, and centrale dev for 3 seeds (trained on centrale train only). Writes JSON under $OUT.
# Needs .devdata/ (centrale + semeval14 tsv files) and the MPNet folder: MPNET=/path/to/all-mpnet-base-v2
# (default: where `polarity base-models install mpnet` puts it). The 438 MB weights exceed what a
# device call carries (64 MiB), so they must already be on that machine.
set -u
export PYTHONPATH=$PWD HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TOKENIZERS_PARALLELISM=false
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
MPNET=${MPNET:-$HOME/.local/share/polarity-studio/base-models/all-mpnet-base-v2}
DATA=${DATA:-.devdata}
nvidia-smi -L >"$OUT/env.txt" 2>&1
timeout 300 python benchmarks/cv_sweep.py --train $DATA/semeval14/restaurants_train.tsv --folds 5 --workers 5 \
  --threads 2 --device cuda --amp --base-model "$MPNET" \
  --presets mp-2ep-lr2e-5 mp-2ep-lr3e-5 mp-3ep-lr3e-5 mp-2ep-lr5e-5 mp-lora-4ep-lr5e-4 mp-frozen-20-lr1e-3 \
  --rows "$OUT/mpnet_restaurants_rows.jsonl" >"$OUT/mpnet_restaurants.json" 2>"$OUT/mpnet_restaurants.err"
# centrale dev, 3 seeds, trained on centrale train only; select_best off, so the dev set picks nothing.
timeout 240 python - "$MPNET" "$DATA" >"$OUT/mpnet_centrale_dev.json" 2>"$OUT/mpnet_centrale_dev.err" <<'PY'
import json, sys, time
sys.path.insert(0, "benchmarks")
from common import load
from core.ml.config import TrainConfig
from core.ml.train import train
base, data = sys.argv[1], sys.argv[2]
tr, dev = load(f"{data}/centrale/traindata.csv"), load(f"{data}/centrale/devdata.csv")
runs = []
for seed in (13, 14, 15):
    cfg = TrainConfig.for_engine("two-phase", base_model=base, device="cuda", epochs=(2, 20), lr=(3e-5, 2e-4),
                                 select_best=False, seed=seed)
    t = time.perf_counter(); m = train(cfg, tr, dev).metrics
    runs.append({"seed": seed, "accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
                 "train_seconds": round(time.perf_counter() - t, 1)})
print(json.dumps({"runs": runs, "accuracy_mean": round(sum(r["accuracy"] for r in runs) / 3, 4)}, indent=1))
PY
tail -c 1500 "$OUT"/*.err; head -c 3000 "$OUT/mpnet_restaurants.json"
