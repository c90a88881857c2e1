"""Settings -> TrainConfig, the Settings and Export dialogs, the error dialog, the shortcut table."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from app.dialogs.error_dialog import error_details, show_error
from app.dialogs.export_dialog import FORMAT_FILTERS, ExportDialog
from app.dialogs.settings_dialog import SettingsDialog
from app.state.settings import Key, Settings
from app.state.train_config import config_from_settings
from app.theme.actions import ACTIONS, SHARED_KEYS, shortcut_rows
from core.formats import FORMATS, FormatError
from core.ml.config import TrainConfig


def ini(path: Path) -> Settings:
    return Settings(QSettings(str(path / "s.ini"), QSettings.IniFormat))


def test_unset_values_follow_the_engine_defaults(tmp_path: Path) -> None:
    settings = ini(tmp_path)
    two, expected = config_from_settings(settings), TrainConfig.for_engine("two-phase")
    assert (two.engine, two.epochs, two.lr) == ("two-phase", expected.epochs, expected.lr)
    settings.set(Key.ENGINE, "lora")
    lora, expected = config_from_settings(settings), TrainConfig.for_engine("lora")
    assert (lora.epochs, lora.lr, lora.batch_size) == (expected.epochs, expected.lr, expected.batch_size)
    settings.set(Key.EPOCHS, 7)
    settings.set(Key.LORA_RANK, 4)
    settings.set(Key.DEVICE, "cpu")
    chosen = config_from_settings(settings)
    assert (chosen.epochs[0], chosen.lora_rank, chosen.device) == (7, 4, "cpu")


def test_settings_dialog_shows_effective_values_and_saves_them(qtbot, tmp_path: Path) -> None:
    settings = ini(tmp_path)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.epochs.value() == TrainConfig.for_engine("two-phase").epochs[0]
    assert not dialog.lora_rank.isVisibleTo(dialog) and dialog.head_epochs.isVisibleTo(dialog)
    dialog.engine.setCurrentIndex(dialog.engine.findData("lora"))
    assert dialog.epochs.value() == TrainConfig.for_engine("lora").epochs[0]
    assert dialog.lora_rank.isVisibleTo(dialog) and not dialog.head_epochs.isVisibleTo(dialog)
    dialog.base_kind.setCurrentIndex(dialog.base_kind.findData("folder"))
    dialog.base_path.setText(str(tmp_path))
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.accept()
    again = ini(tmp_path)
    assert (again.get(Key.ENGINE), again.get(Key.BASE_MODEL), again.get(Key.DEVICE)) == ("lora", str(tmp_path), "cpu")
    assert again.get(Key.LR) == TrainConfig.for_engine("lora").lr[0]


def test_settings_dialog_refuses_values_that_cannot_train(qtbot, tmp_path: Path) -> None:
    settings = ini(tmp_path)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.lr.setText("0")
    dialog.accept()
    assert "learning rates must be positive" in dialog.error.text()
    assert not settings.qsettings.contains(Key.LR.value)


def test_export_dialog_offers_every_format_and_fixes_the_extension(qtbot, tmp_path: Path) -> None:
    dialog = ExportDialog(None, str(tmp_path), "reviews")
    qtbot.addWidget(dialog)
    assert [dialog.format_combo.itemData(i) for i in range(dialog.format_combo.count())] == list(FORMATS)
    assert set(FORMAT_FILTERS) == set(FORMATS)
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("semeval16"))
    path, fmt, with_predictions = dialog.choice()
    assert path == str(tmp_path / "reviews.xml") and fmt == "semeval16" and not with_predictions


def test_error_dialog_names_file_line_and_reason(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    error = FormatError("/data/reviews.tsv", 17, "expected 5 tab-separated columns, found 3")
    short, detail = error_details(error)
    assert short == error.reason and "Line: 17" in detail and "/data/reviews.tsv" in detail
    box = show_error(parent, "The file was not imported", error, unchanged=True)
    text = box.text()
    assert "/data/reviews.tsv" in text and "Line: <b>17</b>" in text and "found 3" in text and "not changed" in text
    box.close()
    plain = show_error(parent, "Training failed", "out of memory")
    assert "out of memory" in plain.text() and "Line" not in plain.text()
    plain.close()


def test_every_shortcut_is_documented_once() -> None:
    keys = [k for spec in ACTIONS for k in spec.keys if k not in SHARED_KEYS]
    assert len(keys) == len(set(keys)), "two actions share a key"
    for key, names in SHARED_KEYS.items():  # only the actions declared to share it (never enabled together)
        assert sorted(spec.name for spec in ACTIONS if key in spec.keys) == sorted(names)
    rows = shortcut_rows()
    assert {r[0] for r in rows} >= {"Labeling", "Moving", "Model", "Project"}
    assert rows[0][0] == "Labeling"


def test_settings_offers_mpnet_only_once_installed(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("POLARITY_DATA_DIR", str(tmp_path / "data"))
    settings = ini(tmp_path)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    index = dialog.base_kind.findData("mpnet")
    item = dialog.base_kind.model().item(index)
    assert dialog.base_kind.itemText(index) == "Accurate (MPNet, slower)"
    assert not item.isEnabled() and "polarity base-models install mpnet" in item.toolTip()
    folder = tmp_path / "data" / "base-models" / "all-mpnet-base-v2"  # where the installer unpacks it
    folder.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (folder / name).write_bytes(b"")
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.base_kind.model().item(index).isEnabled()
    dialog.base_kind.setCurrentIndex(index)
    assert not dialog.base_path.isEnabled()
    dialog.accept()
    assert ini(tmp_path).get(Key.BASE_MODEL) == "mpnet"
    assert SettingsDialog(ini(tmp_path)).base_kind.currentData() == "mpnet"



def test_settings_accept_zero_whole_network_epochs_the_frozen_encoder_recipe(qtbot, tmp_path: Path) -> None:
    dialog = SettingsDialog(ini(tmp_path))
    qtbot.addWidget(dialog)
    dialog.epochs.setValue(0)
    dialog.head_epochs.setValue(20)
    dialog.accept()
    assert config_from_settings(ini(tmp_path)).epochs == (0, 20)
