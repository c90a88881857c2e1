"""What long work in core reports, and how it says it stopped: no torch, no Qt, so anyone can import it.

Training calls ``on_progress(TrainingProgress(...))``; a GUI shows the fields as they are and a
terminal prints ``event.message``, so nobody parses text back into numbers. ``TrainingCancelled``
lives here rather than beside the training loop (which imports torch) so that a caller can
catch it by type without paying for torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

# Phases, in the order a run goes through them; engines name the epoch phases. EXTRACTOR: a
# project retrain also fitting the term extractor (core/ml/terms/retrain.py), every step of it.
LOADING, BODY, FEATURES, HEAD, LORA, SCORING, SAVING, EXTRACTOR, PREDICTING, DONE = (
    "loading", "body", "features", "head", "lora", "scoring", "saving", "extractor", "predicting", "done")
PHASE_TEXT = {LOADING: "loading base encoder", BODY: "phase 1/2", FEATURES: "phase 2/2 · caching features",
              HEAD: "phase 2/2 · head", LORA: "LoRA", SCORING: "scoring dev set", SAVING: "saving model",
              EXTRACTOR: "term extractor", PREDICTING: "predicting", DONE: "done"}


class TrainingCancelled(Exception):
    """Raised inside training when ``should_stop()`` said so; nothing is saved."""


@dataclass(frozen=True)
class TrainingProgress:
    """One step of a long job. ``step``/``total`` drive a bar; ``epoch`` counts from 1 (0: not in an epoch).

    ``loss`` is the loss of the batch just trained (None outside training steps); ``metrics`` carries
    dev metrics (``accuracy``, ``macro_f1``) when an epoch has just been scored. ``batch`` of
    ``batches`` places a training step inside its epoch (0 of 0 outside training steps), so a
    chart can draw the loss as an epoch goes, not only at its end.
    """

    phase: str
    epoch: int
    epochs: int
    step: int
    total: int
    loss: float | None = None
    metrics: dict[str, Any] | None = None
    batch: int = 0
    batches: int = 0

    @property
    def message(self) -> str:
        """A one-line description for a terminal (never parsed back)."""
        parts = [PHASE_TEXT.get(self.phase, self.phase)]
        if self.epoch and self.phase in (BODY, HEAD, LORA, EXTRACTOR):
            parts.append(f"epoch {self.epoch}/{self.epochs}")
        if self.loss is not None:
            parts.append(f"loss {self.loss:.3f}")
        return " · ".join(parts)


Progress = Callable[[TrainingProgress], None]
