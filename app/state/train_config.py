"""The one function that turns the stored settings into the ``TrainConfig`` Retrain uses."""

from __future__ import annotations

from typing import Any, Callable

from app.state.settings import Key, Settings
from core.ml.config import TrainConfig

TRAIN_KEYS = (Key.EPOCHS, Key.HEAD_EPOCHS, Key.LR, Key.HEAD_LR, Key.LORA_RANK, Key.LORA_ALPHA)


def config_from_settings(settings: Settings) -> TrainConfig:
    """The TrainConfig the Retrain button uses; raises ValueError for values that cannot work.

    Values the person never set come from the engine's own defaults (``ENGINE_DEFAULTS``), so
    a LoRA run never inherits two-phase epochs and rates, and core's tuned defaults win.
    """
    stored = {k for k in TRAIN_KEYS if settings.qsettings.contains(k.value)}
    return config_from_values(settings.get, stored)


def config_from_values(get: Callable[[Key], Any], explicit: set[Key] | None = None) -> TrainConfig:
    """``explicit``: the keys to take from ``get`` (None: all); the others are the engine's defaults."""
    engine = get(Key.ENGINE)
    base = TrainConfig.for_engine(engine, base_model=get(Key.BASE_MODEL) or "bundled")  # no torch import here

    def value(key: Key, default: Any) -> Any:
        return get(key) if explicit is None or key in explicit else default

    head_epochs = value(Key.HEAD_EPOCHS, base.epochs[1]) if engine == "two-phase" else 0
    return TrainConfig.for_engine(
        engine, base_model=get(Key.BASE_MODEL) or "bundled",
        epochs=(value(Key.EPOCHS, base.epochs[0]), head_epochs),
        lr=(value(Key.LR, base.lr[0]), value(Key.HEAD_LR, base.lr[1])),
        lora_rank=value(Key.LORA_RANK, base.lora_rank), lora_alpha=value(Key.LORA_ALPHA, base.lora_alpha),
        device=get(Key.DEVICE))
