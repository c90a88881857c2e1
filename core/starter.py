"""The starter model every new project begins with, registered by core so that
``polarity project init`` and the app's New Project give the same project.

The starter is copied into the project's models folder and registered as its first, active
version, so its predictions can be stored (the filters that rank by the model need them) and the
first retrain is compared against it. A missing or unreadable starter never fails project creation.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from core.paths import starter_model_dir
from core.storage import ModelVersionRecord, Project

log = logging.getLogger(__name__)

COPY_LIMIT = 64 * 1024 * 1024  # larger starter models are registered where they are, not copied


def create_project(location: str | Path, starter: Path | None | bool = True, **open_kwargs: Any) -> Project:
    """A new project (refuses an existing one) with the starter as version 1; the caller closes it.

    ``starter``: True for the shipped starter model, a folder for another, False/None for none.
    """
    project = Project.create(location, **open_kwargs)
    folder = starter_model_dir() if starter is True else (Path(starter) if starter else None)
    if folder is not None:
        register_starter(project, folder)
    return project


def register_starter(project: Project, starter: Path) -> ModelVersionRecord | None:
    """Register ``starter`` as an active version of ``project`` (a copy when it is small).

    Never fails the caller: a missing or unreadable starter leaves the project without a model.
    """
    try:
        info = _read_info(starter)
        folder = _copy_model(starter, project.models_dir / "starter") if _size(starter) <= COPY_LIMIT else starter
        metrics = dict(info.get("metrics") or {})
        metrics["note"] = "starter model (not trained on this project)"
        return project.register_model(folder, str(info.get("engine", "two-phase")), str(info.get("base_model", "")),
                                      dict(info.get("config") or {}), metrics, int(info.get("n_train", 0)),
                                      activate=True)
    except Exception as exc:  # noqa: BLE001 - a project without a starter still works
        log.warning("starter model %s not registered: %s", starter, exc)
        return None


def _read_info(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "model.json").read_text(encoding="utf-8"))


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _copy_model(source: Path, target: Path) -> Path:
    """Copy to a temporary sibling, then rename: the target is complete or absent."""
    if target.exists():
        target = target.with_name(f"{target.name}-{uuid.uuid4().hex[:6]}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp)
    tmp.rename(target)
    return target
