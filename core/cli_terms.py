"""`polarity terms ...` (the term extractor) and `polarity project suggest | summary`.

    polarity terms train --train FILE [--dev FILE] --out DIR [--json]
    polarity terms evaluate [--model DIR] --data FILE [--json]
    polarity terms extract [--model DIR] [--polarity-model DIR] --input FILE --output FILE.jsonl [--runtime R]
    polarity project suggest PROJECT.db [--model DIR] [--polarity-model DIR] [--runtime onnx|torch]
    polarity project summary PROJECT.db [--json] [--top N] [--accepted-only] [--csv FILE]

Training and evaluation data are fully annotated sentences: SemEval XML (sentences without
terms included, ``conflict`` terms count) or JSONL ``{"text", "terms": [{"start", "end"}]}``.
``--model`` defaults to the starter extractor in resources/starter_extractor; for ``project suggest``,
to the project's own extractor once a retrain has trained one (core/ml/terms/retrain.py).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from core.cli_common import UserError, emit, progress_bar


def add_terms_commands(subparsers: Any) -> None:
    terms = subparsers.add_parser("terms", help="the term extractor: train, evaluate, extract terms from raw text")
    sub = terms.add_subparsers(dest="terms_command", required=True)

    p = sub.add_parser("train", help="train a term extractor on fully annotated sentences")
    p.add_argument("--train", required=True, metavar="FILE", help="SemEval .xml or .jsonl")
    p.add_argument("--dev", metavar="FILE", help="scored every epoch; the best epoch is kept")
    p.add_argument("--out", required=True, metavar="DIR", help="model folder to create (must not exist)")
    p.add_argument("--engine", choices=("lora", "full"), default="lora",
                   help="lora: adapter + head (default; the folder, ONNX exports included, ~115 MB); "
                        "full: the whole network too (~205 MB)")
    p.add_argument("--base-model", default="bundled", metavar="bundled|mpnet|DIR|ID")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, help="default 1e-3 (lora), 1e-4 (full)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lora-rank", type=int, default=16)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_terms_train)

    p = sub.add_parser("evaluate", help="exact-span precision, recall and F1 on annotated sentences")
    p.add_argument("--model", metavar="DIR",
                   help="extractor folder (default: the starter extractor)")
    p.add_argument("--data", required=True, metavar="FILE")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    _runtime_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_terms_evaluate)

    p = sub.add_parser("extract", help="terms and their polarity for every sentence of a raw text file")
    p.add_argument("--model", metavar="DIR",
                   help="extractor folder (default: the starter extractor)")
    p.add_argument("--polarity-model", metavar="DIR", help="polarity model (default: the starter model)")
    p.add_argument("--no-polarity", action="store_true", help="terms only, no polarity")
    p.add_argument("--input", required=True, metavar="FILE", help=".txt, .csv, .tsv, .jsonl or .xlsx raw text")
    p.add_argument("--output", required=True, metavar="FILE.jsonl")
    p.add_argument("--text-column", metavar="NAME")
    p.add_argument("--id-column", metavar="NAME")
    p.add_argument("--no-split", action="store_true", help="keep each text whole (no sentence splitting)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    _runtime_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_terms_extract)


def _runtime_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runtime", choices=("onnx", "torch"), default=None,
                   help="onnx (no torch) where the model folders have an ONNX export (the default), else torch")
    p.add_argument("--precision", choices=("auto", "float32", "int8"), default="auto",
                   help="the extractor's: auto = its export's default (int8 where a check on annotated "
                        "sentences showed it keeps its F1), float32, or int8 (onnx only)")


def add_project_term_commands(sub: Any, parser: Callable[..., argparse.ArgumentParser], open_project: Callable,
                              store_errors: Callable) -> None:
    """`project suggest` and `project summary`, given cli_project's helpers (as cli_team is)."""
    p = parser(sub, "suggest", "store term suggestions (with predicted polarity) for every sentence")
    p.add_argument("--model", metavar="DIR",
                   help="extractor folder (default: the project's own, trained by a retrain; else the starter)")
    p.add_argument("--polarity-model", metavar="DIR",
                   help="polarity model (default: the project's active model, else the starter model)")
    p.add_argument("--no-polarity", action="store_true")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    _runtime_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=store_errors(lambda args: cmd_project_suggest(args, open_project)))

    p = parser(sub, "summary", "per aspect: mentions and negative / neutral / positive counts")
    p.add_argument("--top", type=int, metavar="N", help="the N most mentioned aspects")
    p.add_argument("--accepted-only", action="store_true", help="leave open suggestions out")
    p.add_argument("--examples", type=int, default=3, metavar="N", help="example sentences per aspect (3)")
    p.add_argument("--csv", metavar="FILE", help="also write the summary as CSV")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=store_errors(lambda args: cmd_project_summary(args, open_project)))


# -- terms train / evaluate -----------------------------------------------------------------
def cmd_terms_train(args: argparse.Namespace) -> int:
    from core.ml.terms.data import read_annotated
    from core.ml.terms.train import ExtractorConfig, train_extractor

    out = Path(args.out)
    if out.exists():
        raise UserError(f"{out}: already exists; choose a new folder for the model")
    if args.epochs < 1 or args.batch_size < 1:
        raise UserError("--epochs and --batch-size must be at least 1")
    train = read_annotated(args.train)
    dev = read_annotated(args.dev) if args.dev else []
    extra = {"lr": args.lr} if args.lr is not None else {}
    cfg = ExtractorConfig.for_engine(args.engine, base_model=args.base_model, epochs=args.epochs,
                                     batch_size=args.batch_size, lora_rank=args.lora_rank,
                                     lora_alpha=2 * args.lora_rank, seed=args.seed, device=args.device, **extra)
    with progress_bar(not args.json) as on_progress:
        result = train_extractor(cfg, train, dev, on_progress=on_progress)
    result.model.save(out, check=dev)  # the dev file decides whether the int8 copy serves by default
    m = result.metrics or {}
    serving = result.model.info.get("serving") or {}
    emit({"out": str(out), "engine": cfg.engine, "base_model": cfg.base_model, "train_seconds": result.train_seconds,
          "dev_f1": m.get("f1"), "dev_precision": m.get("precision"), "dev_recall": m.get("recall"),
          "n_train": len(train), "n_dev": len(dev), "history": result.history,
          "extractor_precision": serving.get("precision"), "int8_check": serving.get("int8_check")}, args.json,
         lambda d: f"saved {d['out']} in {d['train_seconds']:.0f} s" +
                   (f"; dev F1 {d['dev_f1']:.3f} (P {d['dev_precision']:.3f}, R {d['dev_recall']:.3f})"
                    if d["dev_f1"] is not None else ""))
    return 0


def cmd_terms_evaluate(args: argparse.Namespace) -> int:
    from core.ml.terms.data import read_annotated
    from core.ml.terms.pipeline import load_extractor
    from core.ml.terms.train import score_extractor

    data = read_annotated(args.data)
    extractor = load_extractor(args.model, args.device, args.runtime or "auto", precision=args.precision)
    m = dict(score_extractor(extractor, data), extractor_precision=extractor.precision)  # "precision" is the score's
    emit(m, args.json, lambda d: f"F1 {d['f1']:.3f}  precision {d['precision']:.3f}  recall {d['recall']:.3f}  "
                                 f"({d['n_terms']} terms in {d['n_sentences']} sentences)")
    return 0


# -- terms extract --------------------------------------------------------------------------
def _polarity(folder: str | None, device: str, off: bool, runtime: str | None = None) -> Any:
    if off:
        return None
    from core.cli import _load_model

    return _load_model(folder, device, runtime=runtime)


def cmd_terms_extract(args: argparse.Namespace) -> int:
    from core.formats.raw import read_raw
    from core.ml.terms.pipeline import analyse, chunks, load_extractor

    raw = read_raw(args.input, args.text_column, args.id_column, split=not args.no_split)
    extractor = load_extractor(args.model, args.device, args.runtime or "auto", precision=args.precision)
    predictor = _polarity(args.polarity_model, args.device, args.no_polarity, args.runtime)
    out = Path(args.output)
    tmp = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:8]}")
    started, n_terms = time.perf_counter(), 0
    try:
        with tmp.open("w", encoding="utf-8") as fh, progress_bar(not args.json, "sentence") as on_progress:
            for done, batch in enumerate(chunks(iter(raw.sentences)), 1):
                for s, terms in zip(batch, analyse([s.text for s in batch], extractor, predictor)):
                    n_terms += len(terms)
                    fh.write(json.dumps({"text": s.text, "document_id": s.document_id, "position": s.position,
                                         "terms": [t.as_dict() for t in terms]}, ensure_ascii=False) + "\n")
                on_progress(min(done * len(batch), len(raw.sentences)), len(raw.sentences), "extracting")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)  # the output is whole or absent
    finally:
        tmp.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    n = len(raw.sentences)
    emit({"output": str(out), "sentences": n, "documents": raw.documents, "terms": n_terms,
          "seconds": round(seconds, 2), "sentences_per_second": round(n / seconds, 1) if seconds else None,
          "polarity": predictor is not None, "extractor_precision": extractor.precision}, args.json,
         lambda d: f"wrote {d['terms']} terms of {d['sentences']} sentences to {d['output']} "
                   f"({d['sentences_per_second']} sentences/s)")
    return 0


# -- project suggest / summary --------------------------------------------------------------
def cmd_project_suggest(args: argparse.Namespace, open_project: Callable) -> int:
    from dataclasses import asdict

    from core.ml.terms.pipeline import load_extractor, suggest_project
    from core.ml.terms.retrain import extractor_folder_for

    with open_project(args) as project:
        chosen = args.model or extractor_folder_for(project)
        extractor = load_extractor(chosen, args.device, args.runtime or "auto", precision=args.precision)
        folder = args.polarity_model
        if folder is None and not args.no_polarity and project.active_model() is not None:
            folder = project.active_model().folder
        predictor = _polarity(folder, args.device, args.no_polarity, args.runtime)
        with progress_bar(not args.json, "sentence") as on_progress:
            report = suggest_project(project, extractor, predictor, on_progress=on_progress)
    data = {**asdict(report), "extractor": str(chosen) if chosen is not None else None,
            "extractor_precision": extractor.precision}
    emit(data, args.json, lambda d: f"{d['added']} new suggestions in {d['sentences']} sentences "
                                    f"({d['known']} already terms or decided; {d['seconds']:.0f} s; "
                                    f"extractor {d['extractor']})")
    return 0


def cmd_project_summary(args: argparse.Namespace, open_project: Callable) -> int:
    from core.storage.summary import write_summary_csv

    if args.top is not None and args.top < 1:
        raise UserError("--top must be at least 1")
    with open_project(args) as project:
        rows = project.aspect_summary(top=args.top, accepted_only=args.accepted_only, examples=max(0, args.examples))
    if args.csv:
        write_summary_csv(args.csv, rows)
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False))
    else:
        print(_summary_table(rows))
    return 0


def _summary_table(rows: list[Any]) -> str:
    if not rows:
        return "no terms yet (import terms, or run `polarity project suggest`)"
    width = min(30, max(len(r.term) for r in rows))
    lines = [f"{'aspect':<{width}}  mentions  negative  neutral  positive  labeled  suggested"]
    for r in rows:
        lines.append(f"{r.term[:width]:<{width}}  {r.mentions:>8}  {r.shares['negative']:>8.0%}  "
                     f"{r.shares['neutral']:>7.0%}  {r.shares['positive']:>8.0%}  {r.labeled:>7}  {r.suggested:>9}")
    return "\n".join(lines)
