"""The Settings dialog: engine, base model, epochs, learning rates, LoRA, device.

The stored settings become a ``TrainConfig`` in ``app.state.train_config``; this dialog only edits them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.state.settings import Key, Settings
from app.state.train_config import config_from_settings, config_from_values
from core.ml.base_models import INSTALL_HINT, MPNET, mpnet_installed
from core.ml.config import TrainConfig

ENGINE_NAMES = {"two-phase": "Two-phase (fine-tune, then train the head)", "lora": "LoRA adapter"}
DEVICE_NAMES = {"auto": "Automatic (GPU when present)", "cpu": "CPU", "cuda": "CUDA GPU"}


def _rate_edit(value: float) -> QLineEdit:
    edit = QLineEdit(f"{value:g}")
    validator = QDoubleValidator(1e-8, 1.0, 10)
    validator.setNotation(QDoubleValidator.ScientificNotation)
    edit.setValidator(validator)
    edit.setMaximumWidth(120)
    return edit


def _spin(lo: int, hi: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setValue(value)
    spin.setMaximumWidth(120)
    return spin


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self._settings = settings
        s = settings.get
        current = config_from_settings(settings)  # what Retrain would use now

        model_box = QGroupBox("Model")
        form = QFormLayout(model_box)
        self.engine = QComboBox()
        for key, name in ENGINE_NAMES.items():
            self.engine.addItem(name, key)
        self.engine.setCurrentIndex(list(ENGINE_NAMES).index(s(Key.ENGINE)))
        form.addRow("Engine", self.engine)
        self.base_kind = QComboBox()
        self._add_base_choices(s(Key.BASE_MODEL))
        self.base_path = QLineEdit("" if s(Key.BASE_MODEL) in ("bundled", MPNET) else s(Key.BASE_MODEL))
        self.base_path.setPlaceholderText("e.g. /models/distilbert-base-uncased")
        self.browse = QPushButton("Browse…")
        path_row = QHBoxLayout()
        path_row.addWidget(self.base_path, 1)
        path_row.addWidget(self.browse)
        form.addRow("Base model", self.base_kind)
        form.addRow("", path_row)
        self.device = QComboBox()
        for key, name in DEVICE_NAMES.items():
            self.device.addItem(name, key)
        self.device.setCurrentIndex(list(DEVICE_NAMES).index(s(Key.DEVICE)))
        form.addRow("Device", self.device)

        train_box = QGroupBox("Training")
        tform = QFormLayout(train_box)
        self.epochs = _spin(0, 100, current.epochs[0])  # 0: two-phase with a frozen encoder (head only)
        self.head_epochs = _spin(0, 500, current.epochs[1] if current.engine == "two-phase" else s(Key.HEAD_EPOCHS))
        self.lr = _rate_edit(current.lr[0])
        self.head_lr = _rate_edit(current.lr[1])
        self.lora_rank = _spin(1, 256, current.lora_rank)
        self.lora_alpha = _spin(1, 512, current.lora_alpha)
        self._rows: dict[str, tuple[QLabel, QWidget]] = {}
        for name, label, widget in (("epochs", "Epochs", self.epochs), ("head_epochs", "Head epochs", self.head_epochs),
                                    ("lr", "Learning rate", self.lr), ("head_lr", "Head learning rate", self.head_lr),
                                    ("lora_rank", "LoRA rank", self.lora_rank),
                                    ("lora_alpha", "LoRA alpha", self.lora_alpha)):
            lab = QLabel(label)
            tform.addRow(lab, widget)
            self._rows[name] = (lab, widget)
        self.defaults_button = QPushButton("Engine defaults")
        self.defaults_button.setProperty("flat", True)
        tform.addRow("", self.defaults_button)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #a50e0e;")
        self.error.setWordWrap(True)

        label_box = QGroupBox("Labeling")
        lform = QFormLayout(label_box)
        self.auto_advance = QCheckBox("After a label, go on to the next unlabeled term")
        self.auto_advance.setToolTip("In the sentence first, then in the next sentence of the list")
        self.auto_advance.setChecked(bool(s(Key.AUTO_ADVANCE)))
        lform.addRow(self.auto_advance)

        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        outer = QVBoxLayout(self)
        outer.addWidget(label_box)
        outer.addWidget(model_box)
        outer.addWidget(train_box)
        outer.addWidget(self.error)
        outer.addWidget(buttons)

        self.engine.currentIndexChanged.connect(self._engine_changed)
        self.base_kind.currentIndexChanged.connect(self._sync)
        self.browse.clicked.connect(self._browse)
        self.defaults_button.clicked.connect(self.apply_engine_defaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self._sync()

    def _add_base_choices(self, current: str) -> None:
        """Bundled MiniLM, the accurate MPNet (selectable only once installed), or a folder."""
        self.base_kind.addItem("Bundled all-MiniLM-L6-v2 (fast)", "bundled")
        self.base_kind.addItem("Accurate (MPNet, slower)", MPNET)
        self.base_kind.addItem("A Hugging Face model folder", "folder")
        item = self.base_kind.model().item(1)
        if not mpnet_installed():
            item.setEnabled(False)  # a training on it would fail at once
            item.setToolTip(f"Not installed. Install it with: {INSTALL_HINT}")
        else:
            item.setToolTip("all-mpnet-base-v2: more accurate, about 6x slower per step on a CPU")
        kinds = {"bundled": 0, MPNET: 1}
        index = kinds.get(current, 2)
        self.base_kind.setCurrentIndex(0 if index == 1 and not mpnet_installed() else index)

    def _engine_changed(self) -> None:
        self.apply_engine_defaults()
        self._sync()

    def apply_engine_defaults(self) -> None:
        """Epochs and rates that suit the chosen engine (LoRA wants more epochs and a larger rate)."""
        defaults = TrainConfig.for_engine(self.engine.currentData())
        self.epochs.setValue(defaults.epochs[0])
        if defaults.epochs[1]:
            self.head_epochs.setValue(defaults.epochs[1])
        self.lr.setText(f"{defaults.lr[0]:g}")
        self.head_lr.setText(f"{defaults.lr[1]:g}")
        self.lora_rank.setValue(defaults.lora_rank)
        self.lora_alpha.setValue(defaults.lora_alpha)

    def _sync(self) -> None:
        lora = self.engine.currentData() == "lora"
        for name in ("head_epochs", "head_lr"):
            for w in self._rows[name]:
                w.setVisible(not lora)
        for name in ("lora_rank", "lora_alpha"):
            for w in self._rows[name]:
                w.setVisible(lora)
        folder = self.base_kind.currentData() == "folder"
        self.base_path.setEnabled(folder)
        self.browse.setEnabled(folder)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Base model folder", self.base_path.text())
        if path:
            self.base_path.setText(path)

    def values(self) -> dict[Key, Any]:
        kind = self.base_kind.currentData()
        base = self.base_path.text().strip() if kind == "folder" else kind
        return {Key.ENGINE: self.engine.currentData(), Key.BASE_MODEL: base or "bundled",
                Key.DEVICE: self.device.currentData(), Key.EPOCHS: self.epochs.value(),
                Key.HEAD_EPOCHS: self.head_epochs.value(), Key.LR: float(self.lr.text() or 0),
                Key.HEAD_LR: float(self.head_lr.text() or 0), Key.LORA_RANK: self.lora_rank.value(),
                Key.LORA_ALPHA: self.lora_alpha.value(), Key.AUTO_ADVANCE: self.auto_advance.isChecked()}

    def accept(self) -> None:  # noqa: D401 - Qt override
        """Check the values as a TrainConfig would, then store them."""
        try:
            values = self.values()
            config_from_values(values.__getitem__)
        except ValueError as exc:
            self.error.setText(f"Cannot save: {exc}")
            return
        for key, value in values.items():
            self._settings.set(key, value)
        self._settings.sync()
        super().accept()
