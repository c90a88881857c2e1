"""The training job: ``core.ml.project_train.train_project`` for a ``Worker``, torch imported lazily.

Progress arrives as core's ``TrainingProgress``; the end of each epoch (its mean loss and dev
scores) arrives as an ``EpochResult`` on the same ``progress`` signal, so the controller shows
both without parsing any text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

MIN_LABELS = 10  # the store refuses fewer (core.ml.project_train.MIN_LABELS); checked early to say so


@dataclass(frozen=True)
class EpochResult:
    """One finished epoch, from core's history entry."""

    phase: str
    epoch: int
    epochs: int
    loss: float | None
    dev_accuracy: float | None

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> "EpochResult":
        return cls(str(entry.get("phase", "")), int(entry.get("epoch", 0)), int(entry.get("epochs", 0)),
                   entry.get("loss"), entry.get("dev_accuracy"))


def train_job(project: str, models_dir: str | None, cfg: Any, *, on_progress: Callable[[Any], None],
              should_stop: Callable[[], bool]) -> Any:
    """The worker's function: (run, version); version None when cancelled. The version is
    registered inactive: it predicts (and the project is rescored) only once the person keeps it."""
    from app.services.predictor_service import use_default_torch_threads
    from core.ml.project_train import train_project

    use_default_torch_threads()
    return train_project(project, cfg, on_progress=on_progress, should_stop=should_stop, models_dir=models_dir,
                         on_epoch=lambda entry: on_progress(EpochResult.from_entry(entry)), activate=False)
