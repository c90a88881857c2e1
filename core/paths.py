"""Where the project's resources live, in a source checkout and in a frozen (PyInstaller) build."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The ``resources/`` folder: beside the packages in a checkout, under ``_MEIPASS`` when frozen."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def starter_model_dir() -> Path:
    """The small starter model shipped with the program (see ``benchmarks/build_starter.py``)."""
    return resources_dir() / "starter_model"


def demo_corpus_path() -> Path:
    """The demo corpus the team wrote (labeled terms, several domains), in JSONL."""
    return resources_dir() / "demo" / "demo_corpus.jsonl"
