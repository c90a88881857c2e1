"""Project jobs: the first-run demo, a new project, import and export.

The demo is the team's own corpus (``resources/demo/demo_corpus.jsonl``), imported as it is:
454 labeled terms (enough to retrain at once) and 60 unlabeled ones, work waiting for the user.
A new project gets the starter model from core (``core.starter``), exactly as
``polarity project init`` does. Import and export are plain functions for a ``Worker``: each
opens its own connection from the location and models folder it is given.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.paths import demo_corpus_path
from core.starter import create_project as create_core_project
from core.starter import register_starter
from core.storage import Project

log = logging.getLogger(__name__)


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
    """A new, empty project (refuses an existing file) with ``starter`` as version 1 (None: no model)."""
    create_core_project(path, starter if starter is not None else False).close()
    return path


def import_job(project: str, models_dir: str | None, path: str, fmt: str | None, author: str | None, *,
               on_progress: Any, should_stop: Any, **raw: Any) -> Any:
    """Worker function: its own connection; the store imports all rows or none. ``raw``: the
    ``text_column``, ``id_column`` and ``split`` of a raw-text import."""
    with Project.open(project, recover_runs=False, author=author, models_dir=models_dir) as store:
        return store.import_file(path, fmt, **raw)


def export_job(project: str, models_dir: str | None, path: str, fmt: str | None, with_predictions: bool, *,
               on_progress: Any, should_stop: Any) -> int:
    with Project.open(project, recover_runs=False, models_dir=models_dir) as store:
        return store.export_file(path, fmt, with_predictions=with_predictions)


def reach_job(url: Any, models_dir: str | None, *, on_progress: Any, should_stop: Any) -> bool:
    """Worker function: open and close a server project once (errors name the URL, password as ***)."""
    Project.open(url, models_dir=models_dir, recover_runs=False).close()
    return True
