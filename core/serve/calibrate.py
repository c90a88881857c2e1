"""Logits -> probabilities for the ONNX path, with the model's temperature (numpy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.ml.calibration import apply_temperature


def temperature_of(info: dict[str, Any]) -> float:
    """The calibration temperature in model.json (1.0 where the model has none)."""
    try:
        value = float(info.get("temperature", 1.0) or 1.0)
    except (TypeError, ValueError):
        return 1.0
    return value if value > 0 else 1.0


def probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of ``logits / temperature``, row by row: the same numpy function the torch path
    calls (core.ml.calibration, torch-free), so both paths state the same confidence."""
    return apply_temperature(logits, temperature)
