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


def user_data_dir() -> Path:
    """Where the program keeps what it downloads for the user (e.g. optional base encoders).

    ``$POLARITY_DATA_DIR`` if set; else the platform's per-user data folder: %LOCALAPPDATA% on
    Windows, ~/Library/Application Support on macOS, $XDG_DATA_HOME or ~/.local/share elsewhere.
    """
    import os

    chosen = os.environ.get("POLARITY_DATA_DIR")
    if chosen:
        return Path(chosen).expanduser()
    if sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Application Support"
    else:
        root = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return root / "polarity-studio"


def base_models_dir() -> Path:
    """Installed optional base encoders, one folder each (``polarity base-models install``)."""
    return user_data_dir() / "base-models"
