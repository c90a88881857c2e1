"""The first-run demo project and the starter model every new project begins with.

The demo is the team's own corpus (``resources/demo/demo_corpus.jsonl``), imported as it is:
454 labeled terms (enough to retrain at once) and 60 unlabeled ones, work waiting for the user.

The starter model is copied into the project's models folder and registered as its first
version, so its predictions can be stored (the filters that rank by the model need them) and
the first retrain is compared against it. Plain functions: no Qt, callable from tests.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from core.paths import demo_corpus_path
from core.storage import ModelVersionRecord, Project

log = logging.getLogger(__name__)

COPY_LIMIT = 64 * 1024 * 1024  # larger starter models are registered where they are, not copied


def ensure_demo_project(path: Path, starter: Path | None, corpus: Path | None = None) -> Path:
    """Create the demo project at ``path`` unless it exists with sentences in it; return ``path``.

    A demo left empty by an interrupted first run is filled again (the import is one
    transaction, so it is either complete or empty).
    """
    project = Project.open(path, create=True)
    try:
        if project.count() == 0:
            report = project.import_file(corpus or demo_corpus_path())
            log.info("demo project: %d sentences, %d terms, %d labels", report.sentences_added,
                     report.terms_added, report.labels_added)
        if starter is not None and not project.models():
            register_starter(project, starter)
    finally:
        project.close()
    return path


def create_project(path: Path, starter: Path | None) -> Path:
    """A new, empty project (refuses an existing file) with the starter model as version 1."""
    project = Project.create(path)
    try:
        if starter is not None:
            register_starter(project, starter)
    finally:
        project.close()
    return path


def register_starter(project: Project, starter: Path) -> ModelVersionRecord | None:
    """Register the starter model as an active version of ``project`` (a copy when it is small).

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
