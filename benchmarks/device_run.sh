#!/usr/bin/env bash
# The one prepared GPU call: AMP on/off timings for both engines, then the settings sweep by CV.
# Needs .devdata/ (git-ignored: centrale + semeval14 tsv files and a float16 copy of the encoder),
# carried to the device machine. Writes JSON under $OUT.
set -u
export PYTHONPATH=$PWD HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TOKENIZERS_PARALLELISM=false
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
BASE=.devdata/minilm-fp16
{ nvidia-smi -L; python -c 'import torch, transformers, peft, sys; print(sys.version.split()[0], torch.__version__, transformers.__version__, peft.__version__)'; } >"$OUT/env.txt" 2>&1
timeout 150 python benchmarks/bench_amp.py --base-model $BASE >"$OUT/amp.json" 2>"$OUT/amp.err"
timeout 170 python benchmarks/cv_sweep.py --train .devdata/centrale/traindata.csv --folds 5 --workers 8 \
  --threads 2 --device cuda --base-model $BASE --rows "$OUT/sweep_rows.jsonl" >"$OUT/sweep.json" 2>"$OUT/sweep.err"
timeout 60 python benchmarks/cv_sweep.py --train .devdata/centrale/traindata.csv --extra .devdata/semeval14/laptops_train.tsv \
  --folds 5 --workers 8 --threads 2 --device cuda --base-model $BASE --presets tp-base tp-lr1e-4 lora-base lora-top3 \
  --rows "$OUT/sweep_laptops_rows.jsonl" >"$OUT/sweep_laptops.json" 2>"$OUT/sweep_laptops.err"
tail -c 2000 "$OUT"/*.err; cat "$OUT/env.txt"; head -c 1500 "$OUT/amp.json"
