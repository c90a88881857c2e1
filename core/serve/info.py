"""Reading a model folder's ``model.json`` without torch, and where its ONNX export lives.

``model.json`` gains a ``serving`` entry when an export is written::

    "serving": {"runtime": "onnx", "precision": "int8" | "float32",
                "files": {"float32": "model.onnx", "int8": "model.int8.onnx"},
                "int8_agreement": 0.998, "int8_checked_on": 514}

Older folders have none and are served by torch.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from core.domain import LABEL_NAMES

FORMAT_VERSION = 1
MODEL_JSON = "model.json"
ONNX_FILES = {"float32": "model.onnx", "int8": "model.int8.onnx"}


class ModelLoadError(Exception):
    """A model folder is missing, incomplete or corrupt; the message names the folder and why."""


def read_info(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise ModelLoadError(f"{folder}: no such model folder")
    path = folder / MODEL_JSON
    if not path.is_file():
        raise ModelLoadError(f"{folder}: not a Polarity Studio model (no {MODEL_JSON})")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path}: corrupt model description ({exc})") from exc
    missing = [k for k in ("kind", "labels", "encoding", "config") if k not in info]
    if missing:
        raise ModelLoadError(f"{path}: incomplete model description (missing {', '.join(missing)})")
    if list(info["labels"]) != list(LABEL_NAMES):
        raise ModelLoadError(f"{path}: label order {info['labels']} differs from {list(LABEL_NAMES)}")
    if int(info.get("format_version", 1)) > FORMAT_VERSION:
        raise ModelLoadError(f"{path}: made by a newer Polarity Studio (format {info['format_version']})")
    return info


def serving_of(info: dict[str, Any]) -> dict[str, Any] | None:
    """The folder's ``serving`` entry if it says it serves with onnx, else None (torch)."""
    serving = info.get("serving")
    if isinstance(serving, dict) and serving.get("runtime") == "onnx" and isinstance(serving.get("files"), dict):
        return serving
    return None


def weights_hash(folder: Path) -> str:
    """sha256 of what defines a model's outputs (model.json aside from ``serving``, head, adapter or
    encoder weights): an export built elsewhere (the starter's, in the user cache) must match it."""
    digest = hashlib.sha256()
    info = json.loads((folder / MODEL_JSON).read_text(encoding="utf-8"))
    info.pop("serving", None)
    digest.update(json.dumps(info, sort_keys=True).encode("utf-8"))
    names = ["head.safetensors", "adapter.safetensors", "tokenizer/tokenizer.json", "encoder/model.safetensors"]
    for name in names:
        path = folder / name
        if path.is_file():
            digest.update(name.encode("utf-8"))
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return "sha256:" + digest.hexdigest()
