"""Team review jobs for the one ``Worker``: agreement, a bulk accept (or its dry run), its undo.

Plain functions, each opening its own connection from the location and models folder it is
given (``AppState.job_target()``), as the import and export jobs do: agreement reads every
annotator's history, and a bulk accept writes hundreds of rows in one transaction; neither
should hold the window.
"""

from __future__ import annotations

from typing import Any

from core.storage import Project


def agreement_job(project: str, models_dir: str | None, *, on_progress: Any, should_stop: Any) -> Any:
    """The project's ``AgreementReport`` (every annotator's own newest label of every term)."""
    with Project.open(project, recover_runs=False, models_dir=models_dir) as store:
        return store.agreement()


def accept_job(project: str, models_dir: str | None, min_confidence: float, author: str | None, dry_run: bool, *,
               on_progress: Any, should_stop: Any) -> Any:
    """An ``AcceptReport``: what accepting at ``min_confidence`` would label (``dry_run``), or the batch written."""
    with Project.open(project, recover_runs=False, author=author, models_dir=models_dir) as store:
        return store.accept_predictions(min_confidence, author=author, dry_run=dry_run)


def undo_accept_job(project: str, models_dir: str | None, author: str | None, *,
                    on_progress: Any, should_stop: Any) -> Any:
    """Take the newest bulk accept not yet undone back in one step (an ``UndoAcceptReport``)."""
    with Project.open(project, recover_runs=False, author=author, models_dir=models_dir) as store:
        return store.undo_accept(author=author)
