"""`polarity project ...`: the project store from the command line.

    polarity project init PROJECT.db | --db URL [--models-dir DIR]
    polarity project import PROJECT.db FILE [--format F] [--lenient] [--author NAME]
                                            [--text-column C] [--id-column C] [--no-split]
    polarity project export PROJECT.db FILE [--format F] [--with-predictions] [--all-annotators]
    polarity project stats PROJECT.db [--json]
    polarity project train PROJECT.db [--engine two-phase|lora] [--dev FILE] [--json] [training options]
        [--extractor-min-sentences N] [--no-extractor]   (also retrains the term extractor from N
        fully annotated sentences; JSON key "extractor")
    polarity project predict PROJECT.db
    polarity project models PROJECT.db [--activate ID] [--delete ID] [--json]
    polarity project agreement | accept | adjudicate | reviewers ...   (team review: core/cli_team.py)

Every command takes the project as a file path, or as a database URL (``--db URL`` or the
environment variable POLARITY_DB_URL, so the password stays out of the shell history and the
process list); see ``TARGET_HELP``. Handlers raise ``FormatError`` (file, line, reason) or
``StoreError``; ``core.cli.main`` prints them and exits 2.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from dataclasses import asdict
from datetime import datetime
from typing import Any, Callable

from core.cli_common import UserError, add_train_options, config_from_args, emit, progress_bar

# The names core.storage.team reads (not imported from there: `polarity --help` stays free of SQLAlchemy).
ENV_DB_URL, ENV_MODELS_DIR, ENV_AUTHOR = "POLARITY_DB_URL", "POLARITY_MODELS_DIR", "POLARITY_AUTHOR"
TARGET_HELP = f"""which project: the PROJECT.db argument (a file; a URL there works too) or --db URL, else
${ENV_DB_URL}. A team project lives on PostgreSQL: --db postgresql+psycopg://USER[:PASSWORD]@HOST/DB
(prefer ${ENV_DB_URL} for a URL with a password; it is shown as *** in every message).
Models of a database project go to --models-dir, else ${ENV_MODELS_DIR}, else the folder given at
init (a folder every team member reaches). Labels are recorded as --author, else ${ENV_AUTHOR},
else the OS user name."""


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", metavar="PROJECT.db", nargs="?", default=None,
                   help=f"the project file (or a database URL); default: --db, then ${ENV_DB_URL}")
    g = p.add_argument_group("project location (precedence: PROJECT.db or --db, then $" + ENV_DB_URL + ")")
    g.add_argument("--db", metavar="URL", help="a database URL, e.g. postgresql+psycopg://user@host/polarity")
    g.add_argument("--models-dir", metavar="DIR",
                   help=f"models folder of a database project (default: ${ENV_MODELS_DIR}, else the one set at init)")
    g.add_argument("--author", metavar="NAME", help=f"who the labels written are by (default: ${ENV_AUTHOR}, "
                                                    "else the OS user name)")


def _parser(sub: Any, name: str, help: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help, description=help, epilog=TARGET_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_target(p)
    return p


def add_project_commands(subparsers: Any) -> None:
    project = subparsers.add_parser("project", help="work on a project file or database (import, export, train, ...)",
                                    epilog=TARGET_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = project.add_subparsers(dest="project_command", required=True)

    p = _parser(sub, "init", "create an empty project (a new file, or the schema in an empty database) "
                             "with the starter model as its first version")
    p.add_argument("--no-starter", action="store_true", help="no starter model: the project starts without one")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_init)

    p = _parser(sub, "import", "import a file (all rows or none); importing it again adds nothing; with "
                "--author, every labeled row is recorded as that annotator's label")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", help="tsv, semeval14, semeval16, jsonl or csv (default: by extension)")
    p.add_argument("--lenient", action="store_true", help="skip rows whose term does not match its span")
    raw = p.add_argument_group("raw text (.txt, .xlsx, or a CSV / TSV / JSONL without spans or terms)")
    raw.add_argument("--text-column", metavar="NAME", help="the column holding the text (default: one named "
                     "text, sentence, review, comment, ..., or the only one); implies raw text")
    raw.add_argument("--id-column", metavar="NAME", help="a column kept as the document id (default: the line)")
    raw.add_argument("--no-split", action="store_true", help="keep each text whole instead of splitting it "
                     "into sentences")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    p = _parser(sub, "export", "write the labels (or every term with predictions) to a file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", help="tsv, semeval14, semeval16, jsonl or csv (default: by extension)")
    p.add_argument("--with-predictions", action="store_true",
                   help="every term, with the active model's prediction and probabilities")
    p.add_argument("--all-annotators", action="store_true",
                   help="JSONL/CSV: each annotator's own label beside the final one (label_<name> columns in CSV)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_export)

    p = _parser(sub, "stats", "counts of sentences, terms, labels and models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = _parser(sub, "train", "train on the project's labels; the new model becomes active")
    p.add_argument("--dev", metavar="FILE", help="labeled dev file (default: a stratified split of the labels)")
    p.add_argument("--dev-format", help="format of --dev (default: by extension)")
    p.add_argument("--dev-fraction", type=float, default=0.1, help="share of labels held out without --dev (0.1)")
    p.add_argument("--extractor-min-sentences", type=int, default=50, metavar="N",
                   help="also retrain the term extractor once N sentences are fully annotated (50)")
    p.add_argument("--no-extractor", action="store_true", help="never retrain the term extractor")
    p.add_argument("--json", action="store_true")
    add_train_options(p)
    p.set_defaults(func=cmd_train)

    p = _parser(sub, "predict", "store the active model's predictions for unlabeled terms")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--runtime", choices=("onnx", "torch"), default=None,
                   help="onnx (no torch) or torch; default: onnx where the model folder has an export, else torch")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)

    p = _parser(sub, "models", "list model versions; activate (roll back) or delete one")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--activate", type=int, metavar="ID")
    g.add_argument("--delete", type=int, metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models)

    from core.cli_team import add_team_commands  # agreement, accept, adjudicate, reviewers

    add_team_commands(sub, _parser, _open, _store_errors)
    from core.cli_terms import add_project_term_commands  # suggest, summary

    add_project_term_commands(sub, _parser, _open, _store_errors)


def project_location(args: argparse.Namespace) -> str:
    """The project the command works on: PROJECT.db or --db (not both), else $POLARITY_DB_URL."""
    if args.project and args.db:
        raise UserError("name the project once: a PROJECT.db argument or --db URL, not both")
    location = args.project or args.db or os.environ.get(ENV_DB_URL, "").strip()
    if not location:
        raise UserError(f"which project? give PROJECT.db, --db URL, or set {ENV_DB_URL}")
    return location


def _open_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"models_dir": args.models_dir, "author": args.author}


def _open(args: argparse.Namespace) -> Any:
    from core.storage import Project

    return Project.open(project_location(args), **_open_kwargs(args))


def _store_errors(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A database that fails mid-command (server gone, connection dropped) is an error message
    with the password masked, not a traceback."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        from sqlalchemy.exc import InterfaceError, OperationalError

        from core.storage.db import mask
        from core.storage.errors import StoreError

        try:
            return handler(args)
        except (OperationalError, InterfaceError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise StoreError(f"database error: {mask(reason)}") from None

    return run


@_store_errors
def cmd_init(args: argparse.Namespace) -> int:
    from core.starter import create_project
    from core.storage import SCHEMA_VERSION

    # the same project the app's New Project makes: the starter model registered as version 1
    with create_project(project_location(args), not args.no_starter, **_open_kwargs(args)) as project:
        active = project.active_model()
        data = {"project": project.location, "schema_version": SCHEMA_VERSION, "models_dir": str(project.models_dir),
                "active_model": active.id if active else None}
    emit(data, args.json, lambda d: f"created {d['project']} (schema {d['schema_version']}; models in {d['models_dir']}"
                                    f"{'; starter model active' if d['active_model'] else ''})")
    return 0


@_store_errors
def cmd_import(args: argparse.Namespace) -> int:
    with _open(args) as project:
        report = project.import_file(args.file, args.format, lenient=args.lenient, author=args.author,
                                     text_column=args.text_column, id_column=args.id_column,
                                     split=not args.no_split)
    if not args.json:
        for warning in report.warnings:
            print(f"polarity: warning: {warning}", file=sys.stderr)
    emit(asdict(report), args.json, _import_text)
    return 0


def _import_text(d: dict[str, Any]) -> str:
    if d["documents"]:
        empty = f"; {d['skipped_empty']} rows with an empty text skipped" if d["skipped_empty"] else ""
        return (f"imported {d['documents']} texts ({d['format']}, raw): {d['sentences_added']} new sentences"
                + empty)
    text = (f"imported {d['rows']} rows ({d['format']}): {d['sentences_added']} new sentences, "
            f"{d['terms_added']} new terms, {d['labels_added']} labels")
    skipped = [f"{d[k]} {name}" for k, name in (("skipped_conflict", "'conflict' rows"),
                                                ("skipped_mismatch", "rows whose term does not match its span"),
                                                ("duplicates", "repeated rows"),
                                                ("kept_human", "labels kept as a person set them"))
               if d[k]]
    return text + (f"; {', '.join(skipped)}" if skipped else "")


@_store_errors
def cmd_export(args: argparse.Namespace) -> int:
    with _open(args) as project:
        n = project.export_file(args.file, args.format, with_predictions=args.with_predictions,
                                all_annotators=args.all_annotators)
    emit({"file": args.file, "rows": n}, args.json, lambda d: f"wrote {d['rows']} rows to {d['file']}")
    return 0


@_store_errors
def cmd_stats(args: argparse.Namespace) -> int:
    with _open(args) as project:
        data = project.stats().as_dict()
    emit(data, args.json, _stats_text)
    return 0


def _stats_text(d: dict[str, Any]) -> str:
    per = ", ".join(f"{k} {v}" for k, v in d["per_label"].items())
    active = f"model {d['active_model']} active" if d["active_model"] is not None else "no active model"
    return (f"{d['sentences']} sentences, {d['terms']} terms, {d['labeled']} labeled ({per}); "
            f"{d['models']} models, {active}")


@_store_errors
def cmd_train(args: argparse.Namespace) -> int:
    from core.storage import Project
    from core.ml.project_train import train_project

    cfg = config_from_args(args)
    location = project_location(args)
    Project.open(location, **_open_kwargs(args)).close()  # a missing or foreign one fails here, before torch loads
    from core.ml.terms.retrain import ExtractorRetrainConfig

    if args.extractor_min_sentences < 1:
        raise UserError("--extractor-min-sentences must be at least 1")
    extractor = ExtractorRetrainConfig(enabled=not args.no_extractor, min_sentences=args.extractor_min_sentences)
    with progress_bar(not args.json) as on_progress:
        run, version = train_project(location, cfg, dev_file=args.dev, dev_format=args.dev_format,
                                     dev_fraction=args.dev_fraction, on_progress=on_progress,
                                     models_dir=args.models_dir, extractor=extractor)
    if run is None:  # a non-zero rank under torchrun: rank 0 records and reports
        return 0
    data = {"run": _plain(asdict(run)), "model": _plain(asdict(version)) if version else None,
            "extractor": (run.metrics or {}).get("extractor")}
    emit(data, args.json, _train_text)
    return 0 if run.status == "succeeded" else 1


def _train_text(d: dict[str, Any]) -> str:
    from core.ml.terms.retrain import describe_extractor_result

    run, model = d["run"], d["model"]
    if model is None:
        return f"run {run['id']} {run['status']}"
    m = model["metrics"]
    score = (f"dev accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}" if "accuracy" in m
             else "no dev set")
    prev = m.get("previous") or {}
    if "accuracy" in prev:
        score += f" (previous model {prev['model_version_id']}: {prev['accuracy']:.3f})"
    line = f"model {model['id']} trained on {m.get('n_train')} terms and active: {score}; folder {model['folder']}"
    return line + "\n" + describe_extractor_result(d.get("extractor"))


@_store_errors
def cmd_predict(args: argparse.Namespace) -> int:
    from core.ml.project_train import predict_project

    _open(args).close()
    with progress_bar(not args.json, unit="term") as on_progress:
        n = predict_project(project_location(args), batch_size=args.batch_size, device=args.device,
                            on_progress=on_progress, models_dir=args.models_dir, runtime=args.runtime or "auto")
    emit({"predicted": n}, args.json, lambda d: f"stored predictions for {d['predicted']} unlabeled terms")
    return 0


@_store_errors
def cmd_models(args: argparse.Namespace) -> int:
    with _open(args) as project:
        if args.activate is not None:
            project.activate(args.activate)
        if args.delete is not None:
            project.delete_model(args.delete)
        models = [_plain(asdict(m)) for m in project.models()]
    emit({"models": models}, args.json, _models_text)
    return 0


def _models_text(d: dict[str, Any]) -> str:
    if not d["models"]:
        return "no models yet"
    lines = []
    for m in d["models"]:
        acc = m["metrics"].get("accuracy")
        score = f"acc {acc:.3f}" if isinstance(acc, (int, float)) else "no dev score"
        lines.append(f"{'*' if m['active'] else ' '} {m['id']:>3}  {m['created_at'][:19]}  {m['engine']:<9}  "
                     f"{m['n_labels']:>6} labels  {score}  {m['folder']}")
    return "\n".join(lines)


def _plain(data: Any) -> Any:
    """Datetimes to ISO strings, recursively, for JSON."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    if isinstance(data, datetime):
        return data.isoformat(timespec="seconds")
    return data
