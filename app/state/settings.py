"""Persistent preferences: QSettings behind a typed ``Key`` enum, with every default in one table.

``Settings.get(key)`` always returns the type of the key's default. QSettings hands back
strings from ini files and native types from the registry/plist; ``_coerce`` makes both look
the same, and a value that cannot be read (hand-edited file, older version) falls back to the
default instead of crashing the app at start.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from core.ml.config import TrainConfig

ORGANIZATION = "PolarityStudio"
APPLICATION = "Polarity Studio"
MAX_RECENT = 8


class Key(str, Enum):
    ENGINE = "train/engine"
    BASE_MODEL = "train/base_model"
    EPOCHS = "train/epochs"
    HEAD_EPOCHS = "train/head_epochs"
    LR = "train/lr"
    HEAD_LR = "train/head_lr"
    LORA_RANK = "train/lora_rank"
    LORA_ALPHA = "train/lora_alpha"
    DEVICE = "train/device"
    LAST_PROJECT = "project/last"
    RECENT_PROJECTS = "project/recent"
    WINDOW_GEOMETRY = "window/geometry"
    WINDOW_STATE = "window/state"
    SPLITTER_STATE = "window/splitter"
    AUTHOR = "team/author"  # empty: $POLARITY_AUTHOR, else the OS user name
    AUTO_ADVANCE = "label/auto_advance"
    PLACES = "project/places"


# Training defaults come from core (one source of truth, chosen there by cross-validation).
# The base is named: core's machine default asks torch whether CUDA is present, and the window
# must not import torch at start (the app's own choice of base is the BASE_MODEL setting).
_TWO_PHASE = TrainConfig.for_engine("two-phase", base_model="bundled")

# One table of defaults; the type of each default is the type ``get`` returns.
DEFAULTS: dict[Key, Any] = {
    Key.ENGINE: _TWO_PHASE.engine,       # fine-tune the whole network, then the head on cached features
    Key.BASE_MODEL: _TWO_PHASE.base_model,  # the MiniLM shipped with the program; no hub needed
    Key.EPOCHS: _TWO_PHASE.epochs[0],    # phase one (whole network); LoRA uses it as its epoch count
    Key.HEAD_EPOCHS: _TWO_PHASE.epochs[1],  # phase two (head only), cheap with cached features
    Key.LR: _TWO_PHASE.lr[0],
    Key.HEAD_LR: _TWO_PHASE.lr[1],
    Key.LORA_RANK: _TWO_PHASE.lora_rank,
    Key.LORA_ALPHA: _TWO_PHASE.lora_alpha,
    Key.DEVICE: "auto",           # CUDA when present, else CPU
    Key.LAST_PROJECT: "",
    Key.RECENT_PROJECTS: [],      # newest first
    Key.WINDOW_GEOMETRY: QByteArray(),
    Key.WINDOW_STATE: QByteArray(),
    Key.SPLITTER_STATE: QByteArray(),
    Key.AUTHOR: "",
    Key.AUTO_ADVANCE: True,       # after a label, on to the next unlabeled term (as Prodigy does)
    Key.PLACES: "",               # JSON: where each project was left (app.state.places)
}

# Keys whose value must be one of a few words; anything else reads as the default.
CHOICES: dict[Key, tuple[str, ...]] = {
    Key.ENGINE: ("two-phase", "lora"),
    Key.DEVICE: ("auto", "cpu", "cuda"),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _coerce(value: Any, default: Any) -> Any:
    """Convert a stored value to the default's type; raise ValueError/TypeError if impossible."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"not a boolean: {value!r}")
    if isinstance(default, int):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"not an integer: {value!r}")
        return int(float(value)) if isinstance(value, str) and "." in value else int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, str):
        if isinstance(value, (list, tuple)):  # ini files split "a, b" into a list
            return ", ".join(str(v) for v in value)
        return str(value)
    if isinstance(default, list):
        if value in (None, ""):
            return []
        if isinstance(value, str):  # a one-element list is stored as a plain string
            return [value]
        return [str(v) for v in value]
    if isinstance(default, QByteArray):
        if isinstance(value, QByteArray):
            return value
        if isinstance(value, (bytes, bytearray)):
            return QByteArray(bytes(value))
        raise TypeError(f"not bytes: {type(value).__name__}")
    return value


class Settings:
    """Typed access to QSettings. Pass a QSettings (tests: an ini file in tmp_path) or get the
    user's settings for this organization and application."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._qs = qsettings if qsettings is not None else QSettings(ORGANIZATION, APPLICATION)

    @property
    def qsettings(self) -> QSettings:
        return self._qs

    def get(self, key: Key) -> Any:
        """The stored value in the default's type, or the default when unset or unreadable."""
        default = DEFAULTS[key]
        if not self._qs.contains(key.value):
            return _copy(default)
        try:
            value = _coerce(self._qs.value(key.value), default)
        except (TypeError, ValueError):
            return _copy(default)
        if key in CHOICES and value not in CHOICES[key]:
            return _copy(default)
        return value

    def set(self, key: Key, value: Any) -> None:
        """Store ``value``; it must already have the default's type (an int for EPOCHS...)."""
        default = DEFAULTS[key]
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(default, QByteArray) and isinstance(value, (bytes, bytearray)):
            value = QByteArray(bytes(value))
        if not isinstance(value, type(default)) or (isinstance(value, bool) and not isinstance(default, bool)):
            raise TypeError(f"{key.name} expects {type(default).__name__}, got {type(value).__name__}")
        if key in CHOICES and value not in CHOICES[key]:
            raise ValueError(f"{key.name} must be one of {', '.join(CHOICES[key])}, got {value!r}")
        if isinstance(value, list):
            value = [str(v) for v in value]
        self._qs.setValue(key.value, value)

    def reset(self, key: Key) -> None:
        self._qs.remove(key.value)

    def sync(self) -> None:
        self._qs.sync()

    def add_recent_project(self, path: str) -> list[str]:
        """Put ``path`` first in RECENT_PROJECTS (no duplicates, at most MAX_RECENT) and make it
        LAST_PROJECT; returns the new list."""
        recent = [p for p in self.get(Key.RECENT_PROJECTS) if p != path]
        recent = [path, *recent][:MAX_RECENT]
        self.set(Key.RECENT_PROJECTS, recent)
        self.set(Key.LAST_PROJECT, path)
        return recent


def _copy(default: Any) -> Any:
    """Mutable defaults are copied so a caller appending to the list cannot change the table."""
    if isinstance(default, list):
        return list(default)
    if isinstance(default, QByteArray):
        return QByteArray(default)
    return default
