"""Settings: defaults, typed round-trips through a real ini file, and bad values falling back."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings

from app.state.settings import DEFAULTS, MAX_RECENT, Key, Settings
from core.ml.config import TrainConfig


def ini(path: Path) -> Settings:
    return Settings(QSettings(str(path), QSettings.IniFormat))


def test_defaults(tmp_path: Path) -> None:
    s = ini(tmp_path / "s.ini")
    assert s.get(Key.ENGINE) == "two-phase"
    assert s.get(Key.BASE_MODEL) == "bundled"
    assert (s.get(Key.EPOCHS), s.get(Key.HEAD_EPOCHS)) == TrainConfig.for_engine("two-phase").epochs
    # The app's training defaults are core's (one source of truth).
    assert (s.get(Key.LR), s.get(Key.HEAD_LR)) == TrainConfig.for_engine("two-phase").lr
    assert (s.get(Key.LORA_RANK), s.get(Key.LORA_ALPHA)) == (8, 16)
    assert s.get(Key.DEVICE) == "auto"
    assert s.get(Key.RECENT_PROJECTS) == [] and s.get(Key.LAST_PROJECT) == ""
    assert isinstance(s.get(Key.WINDOW_GEOMETRY), QByteArray)
    assert set(DEFAULTS) == set(Key)


def test_round_trip_keeps_types_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    s = ini(path)
    s.set(Key.ENGINE, "lora")
    s.set(Key.EPOCHS, 3)
    s.set(Key.LR, 1e-4)
    s.set(Key.HEAD_LR, 1)  # an int for a float key is widened
    s.set(Key.DEVICE, "cuda")
    s.set(Key.RECENT_PROJECTS, ["/a/one.polarity"])
    s.set(Key.WINDOW_GEOMETRY, b"\x01\x02\xff")
    s.sync()
    again = ini(path)
    assert again.get(Key.ENGINE) == "lora"
    assert again.get(Key.EPOCHS) == 3 and isinstance(again.get(Key.EPOCHS), int)
    assert again.get(Key.LR) == pytest.approx(1e-4) and isinstance(again.get(Key.LR), float)
    assert again.get(Key.HEAD_LR) == 1.0 and isinstance(again.get(Key.HEAD_LR), float)
    assert again.get(Key.DEVICE) == "cuda"
    assert again.get(Key.RECENT_PROJECTS) == ["/a/one.polarity"]  # one element stays a list
    assert bytes(again.get(Key.WINDOW_GEOMETRY)) == b"\x01\x02\xff"


def test_wrong_types_and_choices_are_refused(tmp_path: Path) -> None:
    s = ini(tmp_path / "s.ini")
    with pytest.raises(TypeError):
        s.set(Key.EPOCHS, "3")
    with pytest.raises(TypeError):
        s.set(Key.EPOCHS, True)
    with pytest.raises(ValueError):
        s.set(Key.DEVICE, "tpu")


def test_unreadable_values_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    path.write_text("[train]\nepochs=many\nlr=fast\ndevice=tpu\nlora_rank=4\n", encoding="utf-8")
    s = ini(path)
    assert s.get(Key.EPOCHS) == TrainConfig.for_engine("two-phase").epochs[0]
    assert s.get(Key.LR) == TrainConfig.for_engine("two-phase").lr[0]
    assert s.get(Key.DEVICE) == "auto"
    assert s.get(Key.LORA_RANK) == 4


def test_recent_projects_most_recent_first_without_duplicates(tmp_path: Path) -> None:
    s = ini(tmp_path / "s.ini")
    for i in range(MAX_RECENT + 2):
        s.add_recent_project(f"/p/{i}")
    s.add_recent_project("/p/5")
    recent = s.get(Key.RECENT_PROJECTS)
    assert recent[0] == "/p/5" and len(recent) == MAX_RECENT and len(set(recent)) == MAX_RECENT
    assert s.get(Key.LAST_PROJECT) == "/p/5"
    s.reset(Key.LAST_PROJECT)
    assert s.get(Key.LAST_PROJECT) == ""


def test_default_list_is_not_shared(tmp_path: Path) -> None:
    s = ini(tmp_path / "s.ini")
    s.get(Key.RECENT_PROJECTS).append("oops")
    assert s.get(Key.RECENT_PROJECTS) == []
