"""Suggest terms: the term extractor proposes the terms of every sentence of the project, each
with the active polarity model's prediction, stored as open suggestions (``project suggest`` in
the CLI). A plain function for a ``Worker``: it opens its own connection, loads the extractor
(torch; seconds) and the polarity predictor (ONNX where the folder has an export: fast), and
stores one chunk of sentences per transaction, so a cancel keeps what was stored and a second
run resumes (stored spans are left as they are).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from app.services.gc_pause import young_collections_only
from core.ml.events import LOADING, PREDICTING, TrainingProgress
from core.storage import Project

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SuggestProgress:
    """What the status bar shows: a phase ("loading" / "suggesting"), sentences done of all."""

    phase: str
    done: int
    total: int


def suggest_job(project: str, models_dir: str | None, extractor_dir: str | None, device: str, *,
                on_progress: Callable[[Any], None], should_stop: Callable[[], bool]) -> Any:
    """Worker function: suggestions for every sentence; returns core's ``SuggestReport`` (None: stopped
    before the first chunk)."""
    from core.ml.terms.pipeline import load_extractor, suggest_project
    from core.ml.terms.retrain import project_extractor_folder
    from core.serve import load_predictor

    with young_collections_only(), Project.open(project, recover_runs=False, models_dir=models_dir) as store:
        total = store.count()
        on_progress(SuggestProgress("loading", 0, total))
        # The project's own extractor (a retrain fitted it) goes first, then the given starter
        # (None: core's shipped one).
        extractor = load_extractor(project_extractor_folder(store) or extractor_dir, device)
        if should_stop():
            return None
        active = store.active_model()
        # Polarity of each suggestion: the active model, served by onnxruntime when it can (no torch
        # cost); without an active model the suggestions simply carry no polarity.
        predictor = load_predictor(active.folder, device=device, warn=log.warning) if active is not None else None

        def forward(event: TrainingProgress) -> None:
            if event.phase in (PREDICTING, LOADING):
                on_progress(SuggestProgress("suggesting", event.step, event.total))

        return suggest_project(store, extractor, predictor, on_progress=forward, should_stop=should_stop)
