"""`polarity project ...` commands of team review: agreement, bulk accept, adjudication, reviewers.

    polarity project agreement PROJECT [--json] [--authors a,b,...]
    polarity project accept PROJECT --min-confidence 0.95 [--dry-run] [--json]
    polarity project accept PROJECT --undo [--batch ID] [--json]
    polarity project accept PROJECT --training include|exclude     (do later trainings use accepted labels?)
    polarity project adjudicate PROJECT TERM_ID LABEL [--json]     (the reviewer is --author)
    polarity project reviewers PROJECT [--add NAME ...] [--remove NAME ...] [--json]

Exit codes: 0 done; 2 bad input or a store error (one line, no traceback); ``agreement`` exits 1
when fewer than two annotators have labels (with --json it still prints the report, pairs empty,
and an ``error`` key saying so), so a script can tell "nothing to measure" from a failure.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from core.cli_common import UserError, emit

Opener = Callable[[argparse.Namespace], Any]


def add_team_commands(sub: Any, parser: Callable[[Any, str, str], argparse.ArgumentParser],
                      opener: Opener, wrap: Callable[[Any], Any]) -> None:
    """Add the commands to ``polarity project``'s subparsers (``parser`` / ``opener`` / ``wrap``:
    cli_project's way of making a parser with the project options, opening the project, and
    turning database errors into messages)."""
    p = parser(sub, "agreement", "agreement between annotators: Cohen's kappa per pair, Krippendorff's alpha")
    p.add_argument("--authors", metavar="A,B,...", help="only these annotators (default: everyone with labels)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=wrap(lambda args: cmd_agreement(args, opener)))

    p = parser(sub, "accept", "label unlabeled terms the active model is sure of with its prediction (one batch)")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--min-confidence", type=float, metavar="X", help="stored prediction confidence at least X (0-1)")
    g.add_argument("--undo", action="store_true", help="take back the newest bulk accept (or --batch ID)")
    g.add_argument("--training", choices=("include", "exclude"),
                   help="whether training uses accepted predictions (a project setting; default include)")
    p.add_argument("--batch", type=int, metavar="ID", help="with --undo: this batch")
    p.add_argument("--dry-run", action="store_true", help="only print how many terms and their label split")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=wrap(lambda args: cmd_accept(args, opener)))

    p = parser(sub, "adjudicate", "a reviewer's final label for a term (training and export use it)")
    p.add_argument("term_id", type=int, metavar="TERM_ID")
    p.add_argument("label", metavar="LABEL", help="negative, neutral or positive (again to change a verdict)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=wrap(lambda args: cmd_adjudicate(args, opener)))

    p = parser(sub, "reviewers", "list, add or remove the people who may adjudicate")
    p.add_argument("--add", action="append", default=[], metavar="NAME")
    p.add_argument("--remove", action="append", default=[], metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=wrap(lambda args: cmd_reviewers(args, opener)))


def cmd_agreement(args: argparse.Namespace, opener: Opener) -> int:
    authors = [a.strip() for a in args.authors.split(",") if a.strip()] if args.authors else None
    if args.authors is not None and not authors:
        raise UserError("--authors needs names, e.g. --authors anna,bob")
    with opener(args) as project:
        report = project.agreement(authors)
    data = report.as_dict()
    if not report.enough:
        found = ", ".join(report.labeled_by) or "none"
        data["error"] = f"agreement needs labels from at least two annotators (found: {found})"
        if args.json:
            emit(data, True, str)
        else:
            print(f"polarity: {data['error']}", file=sys.stderr)
        return 1
    emit(data, args.json, _agreement_text)
    return 0


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _agreement_text(d: dict[str, Any]) -> str:
    lines = [f"{len(d['annotators'])} annotators, {d['overall']['n']} terms labeled by two or more; "
             f"Krippendorff's alpha {_fmt(d['overall']['alpha'])}"]
    for p in d["pairs"]:
        lines.append(f"  {p['a']} / {p['b']}: {p['n']} shared terms, kappa {_fmt(p['kappa'])}, "
                     f"agreement {_fmt(p['agreement'])}")
    lines.append("  per label: " + ", ".join(f"{k} {_fmt(v['agreement'])} (n {v['n']})"
                                             for k, v in d["per_label"].items()))
    return "\n".join(lines)


def cmd_accept(args: argparse.Namespace, opener: Opener) -> int:
    if args.training is not None:
        from core.storage.review import INCLUDE_ACCEPTED_SETTING

        with opener(args) as project:
            project.set_setting(INCLUDE_ACCEPTED_SETTING, args.training == "include")
        emit({"training": args.training}, args.json, lambda d: f"training will {d['training']} accepted predictions")
        return 0
    if args.undo:
        if args.dry_run:
            raise UserError("--dry-run goes with --min-confidence, not --undo")
        with opener(args) as project:
            undo = project.undo_accept(args.batch)
        emit({"batch": undo.batch_id, "undone": undo.undone, "kept": undo.kept}, args.json,
             lambda d: f"bulk accept {d['batch']} undone: {d['undone']} terms unlabeled again"
                       + (f", {d['kept']} kept (labeled since)" if d["kept"] else ""))
        return 0
    if args.batch is not None:
        raise UserError("--batch goes with --undo")
    with opener(args) as project:
        report = project.accept_predictions(args.min_confidence, dry_run=args.dry_run)
    data = {"accepted": report.accepted, "per_label": report.per_label, "min_confidence": report.min_confidence,
            "model_version_id": report.model_version_id, "batch": report.batch_id, "dry_run": report.dry_run}
    emit(data, args.json, _accept_text)
    return 0


def _accept_text(d: dict[str, Any]) -> str:
    split = ", ".join(f"{k} {v}" for k, v in d["per_label"].items())
    verb = "would accept" if d["dry_run"] else "accepted"
    text = (f"{verb} {d['accepted']} predictions of model {d['model_version_id']} with confidence >= "
            f"{d['min_confidence']:g} ({split})")
    if d["batch"] is not None:
        text += f" as batch {d['batch']}; undo with: polarity project accept PROJECT --undo"
    return text


def cmd_adjudicate(args: argparse.Namespace, opener: Opener) -> int:
    from core.domain import Polarity

    try:
        label = Polarity.parse(args.label)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with opener(args) as project:
        event = project.adjudicate(args.term_id, label)
    data = {"term_id": event.term_id, "label": event.polarity.value if event.polarity else None,
            "author": event.author, "label_id": event.id}
    emit(data, args.json, lambda d: f"term {d['term_id']}: final label {d['label']} by {d['author']}")
    return 0


def cmd_reviewers(args: argparse.Namespace, opener: Opener) -> int:
    with opener(args) as project:
        names = project.update_reviewers(args.add, args.remove) if args.add or args.remove else project.reviewers()
    emit({"reviewers": names}, args.json,
         lambda d: "reviewers: " + (", ".join(d["reviewers"]) or "none"))
    return 0
