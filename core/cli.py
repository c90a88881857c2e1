"""The `polarity` command: train, evaluate, predict, and `project ...` (see core/cli_project.py).

Bad input exits 2 with one line naming the file, line and reason; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import core

from core.cli_common import (UserError, add_train_options, config_from_args, emit, parse_span, progress_bar,
                             user_error_types)

EXIT_USER_ERROR = 2
PRECISION_HELP = ("inference precision; auto = what model.json says for onnx, and for torch bfloat16 on CUDA "
                  "and on CPUs with AMX, else float32; int8 is onnx only, bfloat16 torch only")
RUNTIME_HELP = ("onnx (onnxruntime, no torch) or torch; default: onnx where the model folder has an export, "
                "else torch")
PRECISIONS = ("auto", "float32", "bfloat16", "int8")


def add_runtime_option(p: argparse.ArgumentParser) -> None:
    """--runtime of predict, evaluate and project predict (None = auto)."""
    p.add_argument("--runtime", choices=("onnx", "torch"), default=None, help=RUNTIME_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polarity", description="Aspect-term polarity: train, evaluate, predict.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {core.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model from labeled files")
    p.add_argument("--train", required=True, metavar="FILE")
    p.add_argument("--dev", metavar="FILE", help="scored after training; also picks the best head/LoRA epoch")
    p.add_argument("--out", required=True, metavar="DIR", help="model folder to create (must not exist)")
    p.add_argument("--format", help="input format (default: by extension)")
    p.add_argument("--lenient", action="store_true", help="skip rows whose term text does not match its span")
    p.add_argument("--json", action="store_true")
    add_train_options(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score a model on a labeled file")
    p.add_argument("--model", metavar="DIR", help="model folder (default: the starter model)")
    p.add_argument("--data", required=True, metavar="FILE")
    p.add_argument("--format")
    p.add_argument("--lenient", action="store_true")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--precision", default="float32", choices=PRECISIONS,
                   help=PRECISION_HELP + " (default float32: scores match those reported by training)")
    add_runtime_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="predict one term, or every term of a file")
    p.add_argument("--model", metavar="DIR", help="model folder (default: the starter model)")
    p.add_argument("--sentence", metavar="TEXT")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--term", metavar="TEXT", help="the term, found in the sentence")
    g.add_argument("--span", metavar="START:END", help="character offsets of the term")
    p.add_argument("--input", metavar="FILE", help="any supported format; labels are not needed")
    p.add_argument("--output", metavar="FILE", help="JSONL with the label and probabilities per term")
    p.add_argument("--format", help="input format (default: by extension)")
    p.add_argument("--lenient", action="store_true", help="--input: skip rows whose term text does not match its span")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--precision", default="auto", choices=PRECISIONS, help=PRECISION_HELP)
    add_runtime_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("models", help="model folders: add the ONNX export to one")
    models = p.add_subparsers(dest="models_command", required=True)
    p = models.add_parser("export", help="write the ONNX export (float32; int8 on request) into a model or "
                                         "term extractor folder")
    p.add_argument("folder", metavar="DIR", help="a saved model folder (the starter's export goes to the user cache)")
    p.add_argument("--int8", action="store_true",
                   help="also write its dynamic int8 copy (default precision only at >= 99.5 %% label agreement); "
                        "a term extractor's export always has one")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models_export)

    from core.cli_base_models import add_base_model_commands

    add_base_model_commands(sub)
    from core.cli_terms import add_terms_commands

    add_terms_commands(sub)
    try:
        from core.cli_project import add_project_commands
    except ImportError:  # the store is optional for the pure-ML commands
        pass
    else:
        add_project_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("polarity: interrupted", file=sys.stderr)
        return 130
    except user_error_types() as exc:
        print(f"polarity: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR


# -- train ----------------------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists():
        raise UserError(f"{out}: already exists; choose a new folder for the model")
    cfg = config_from_args(args)
    train_set = _read_labeled(args.train, args.format, args.lenient)
    dev_set = _read_labeled(args.dev, args.format, args.lenient) if args.dev else None
    from core.ml.train import train

    with progress_bar(True) as on_progress:
        result = train(cfg, train_set, dev_set, on_progress=on_progress)
    if not result.is_main:  # a non-zero rank under torchrun: rank 0 saves and reports
        return 0
    result.model.save(out)
    m = result.metrics
    data = {
        "out": str(out), "engine": cfg.engine, "base_model": cfg.base_model,
        "train_seconds": round(result.seconds, 2), "n_train": len(train_set), "n_dev": len(dev_set or []),
        "dev_accuracy": m.get("accuracy"), "dev_macro_f1": m.get("macro_f1"),
        "per_class": m.get("per_class"), "device": result.device, "history": result.history,
        "world_size": result.model.info.get("world_size", 1),
    }
    emit(data, args.json, _train_text)
    return 0


def _train_text(d: dict[str, Any]) -> str:
    lines = [f"Saved {d['engine']} model to {d['out']} ({d['n_train']} examples, {d['train_seconds']:.1f} s on {d['device']})"]
    if d["dev_accuracy"] is not None:
        lines.append(f"Dev ({d['n_dev']}): accuracy {d['dev_accuracy']:.3f}, macro-F1 {d['dev_macro_f1']:.3f}")
    return "\n".join(lines)


def _read_labeled(path: str, fmt: str | None, lenient: bool) -> list[Any]:
    from core.formats import read_examples

    result = read_examples(path, fmt, lenient=lenient, require_labels=True)
    skipped = result.skipped_conflict + result.skipped_mismatch
    if skipped:
        print(f"polarity: {path}: skipped {result.skipped_conflict} conflict and "
              f"{result.skipped_mismatch} mismatching rows", file=sys.stderr)
    return result.examples


# -- evaluate -------------------------------------------------------------------------------
def cmd_evaluate(args: argparse.Namespace) -> int:
    examples = _read_labeled(args.data, args.format, args.lenient)
    model = _load_model(args.model, args.device, args.precision, args.runtime)
    started = time.perf_counter()
    with progress_bar(True, "term") as on_progress:
        preds = model.predict(examples, on_progress=on_progress)
    from core.ml.metrics import calibration_metrics, evaluate

    m = evaluate([e.polarity for e in examples], [p.label for p in preds])
    m.update(calibration_metrics(examples, preds))
    m["seconds"] = round(time.perf_counter() - started, 2)
    emit(m, args.json, _evaluate_text)
    return 0


def _evaluate_text(m: dict[str, Any]) -> str:
    lines = [f"{m['n']} terms: accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}, "
             f"ECE {m['ece']:.3f}, NLL {m['nll']:.3f}", "",
             f"{'':10}{'precision':>10}{'recall':>8}{'f1':>7}{'n':>6}"]
    for name, c in m["per_class"].items():
        lines.append(f"{name:10}{c['precision']:>10.3f}{c['recall']:>8.3f}{c['f1']:>7.3f}{c['support']:>6}")
    lines += ["", "confusion (rows gold, columns predicted: negative neutral positive)"]
    lines += ["  " + " ".join(f"{v:6d}" for v in row) for row in m["confusion"]]
    return "\n".join(lines)


# -- predict --------------------------------------------------------------------------------
def cmd_predict(args: argparse.Namespace) -> int:
    if args.input:
        if not args.output:
            raise UserError("--input needs --output (a JSONL file to write)")
        return _predict_file(args)
    if args.sentence is None or (args.term is None and args.span is None):
        raise UserError("give --sentence with --term or --span, or --input FILE --output FILE")
    from core.domain import find_term, validate_span

    if args.span:
        start, end = parse_span(args.span)
    else:
        try:
            start, end = find_term(args.sentence, args.term)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    problem = validate_span(args.sentence, start, end)
    if problem:
        raise UserError(problem)
    pred = _load_model(args.model, args.device, args.precision, args.runtime).predict_one(args.sentence, start, end)
    data = {"term": args.sentence[start:end], "start": start, "end": end, "label": pred.label.value,
            "confidence": round(pred.confidence, 4), "probabilities": pred.as_dict()}
    emit(data, args.json, lambda d: f"{d['term']!r}: {d['label']} ({d['confidence']:.0%})  " +
         "  ".join(f"{k} {v:.3f}" for k, v in d["probabilities"].items()))
    return 0


def _predict_file(args: argparse.Namespace) -> int:
    from core.batch import predict_file

    model = _load_model(args.model, args.device, args.precision, args.runtime)
    with progress_bar(True, "term") as on_progress:
        report = predict_file(model, args.input, args.output, fmt=args.format, batch_size=args.batch_size,
                              on_progress=on_progress, lenient=args.lenient)
    report["runtime"] = model.runtime
    emit(report, args.json, lambda d: f"Wrote {d['terms']} predictions to {d['output']} "
                                      f"({d['terms_per_second']:.0f} terms/s)")
    return 0


def _load_model(folder: str | None, device: str, precision: str = "auto", runtime: str | None = None) -> Any:
    """The predictor for ``folder`` (default: the starter): onnx where it has an export, else torch."""
    from core.paths import starter_model_dir
    from core.serve import load_predictor

    if folder is None:
        starter = starter_model_dir()
        if not starter.is_dir():
            raise UserError(f"no --model given and no starter model at {starter}")
        folder = str(starter)
    if runtime == "onnx" and device == "cuda":
        raise UserError("the onnx runtime predicts on the CPU; use --runtime torch with --device cuda")
    return load_predictor(folder, runtime=runtime or "auto", device=device, precision=precision)


# -- models export ----------------------------------------------------------------------------
def cmd_models_export(args: argparse.Namespace) -> int:
    from core.serve.info import read_info
    from core.serve.starter import cached_export, is_starter

    folder = Path(args.folder)
    if _is_extractor(folder):
        return _export_extractor(folder, args)
    read_info(folder)  # a missing or foreign folder fails here, before torch loads
    # The starter's export built already (make app / make demo run this each time): no torch to load.
    serving = cached_export(folder)[1] if is_starter(folder) else None
    if serving is not None and args.int8 and "int8" not in serving.get("files", {}):
        serving = None
    if serving is None:
        from core.ml.model import add_export

        serving = add_export(args.folder, int8=args.int8)
    data = {"folder": args.folder, **serving}
    if serving.get("runtime") != "onnx":
        raise UserError(f"{args.folder}: cannot export this model ({serving.get('export_error')})")
    emit(data, args.json, _export_text)
    return 0


def _is_extractor(folder: Path) -> bool:
    try:
        return json.loads((folder / "model.json").read_text(encoding="utf-8")).get("model_type") == "term_extractor"
    except (OSError, ValueError, AttributeError):
        return False  # read_info names what is wrong with it


def _export_extractor(folder: Path, args: argparse.Namespace) -> int:
    from core.ml.terms.onnx_extractor import STARTER_PREFIX
    from core.ml.terms.tagging import read_extractor_info
    from core.serve.starter import cached_export

    read_extractor_info(folder)  # an extractor's export always has its int8 copy: --int8 changes nothing
    serving = cached_export(folder, STARTER_PREFIX)[1] if is_starter_extractor(folder) else None
    if serving is None:
        from core.ml.terms.onnx_export import add_extractor_export

        serving = add_extractor_export(folder)
    if serving.get("runtime") != "onnx":
        raise UserError(f"{folder}: cannot export this extractor ({serving.get('export_error')})")
    emit({"folder": str(folder), **serving}, args.json, _export_text)
    return 0


def is_starter_extractor(folder: Path) -> bool:
    from core.ml.terms.tagging import default_extractor_dir
    from core.serve.starter import is_starter

    return is_starter(folder, default_extractor_dir())


def _export_text(d: dict[str, Any]) -> str:
    text = f"{d['folder']}: ONNX export written; serves with onnx, {d['precision']}"
    if "int8_agreement" in d:
        text += f" (int8 agrees with float32 on {d['int8_agreement']:.1%} of {d['int8_checked_on']} demo terms)"
    check = d.get("int8_check")
    if isinstance(check, dict):
        text += (f" (exact-span F1 int8 {check['int8_f1']:.3f}, float32 {check['float32_f1']:.3f}, "
                 f"on {check['n_terms']} terms)")
    return text


if __name__ == "__main__":
    sys.exit(main())
