"""The main window: menus, toolbar, the three panes and the status bar. Layout only.

Left: filters and the sentence list. Centre: the sentence, the model's answer, the label keys.
Right: Overview / Training / Models tabs. Controllers (``app/controller.py``) fill it and wire
its signals; the window itself only knows how to save its geometry and to ask before closing.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QIcon, QResizeEvent
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QListView, QMainWindow, QMenu,
                               QSizePolicy, QSplitter, QTabWidget, QToolBar, QVBoxLayout, QWidget)

from app.actions import icon, make_actions
from app.models_panel import ModelsPanel
from app.overview_panel import OverviewPanel
from app.sentence_list import SentenceDelegate, SentenceListModel
from app.settings import Key, Settings
from app.style import LABEL_COLORS
from app.term_panel import TermPanel
from app.training_panel import TrainingPanel
from core.domain import LABELS
from core.paths import resources_dir

FILTER_KINDS = (("all", "All sentences"), ("unlabeled", "Unlabeled"), ("labeled", "Labeled"),
                ("disagree", "Model disagrees"), ("least_confident", "Least confident first"))
DEFAULT_SIZE = QSize(1480, 900)


class ElidedLabel(QLabel):
    """A one-line label that takes the room it is given and elides its text in the middle."""

    def __init__(self) -> None:
        super().__init__("")
        self._full = ""
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width() - 12
        self.setText(self.fontMetrics().elidedText(self._full, Qt.ElideMiddle, width) if width > 40 else "")


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("Polarity Studio")
        self.setWindowIcon(QIcon(str(resources_dir() / "icons" / "polarity-studio.svg")))
        self.actions = make_actions(self)
        self.close_guard: Callable[[], bool] | None = None  # the controller's "may we close?"
        self._build_menus()
        self._build_toolbar()
        self._build_panes()
        self._build_status_bar()
        self.resize(DEFAULT_SIZE)
        self.restore_layout()

    # ---- layout ------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        a = self.actions
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([a["new_project"], a["open_project"], a["connect_server"]])
        self.recent_menu = QMenu("Open &recent", self)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([a["import"], a["export"]])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        edit = self.menuBar().addMenu("&Label")
        edit.addActions([a["label_negative"], a["label_neutral"], a["label_positive"], a["accept"], a["clear"]])
        edit.addSeparator()
        edit.addActions([a["undo"], a["redo"]])
        edit.addSeparator()
        edit.addActions([a["next_sentence"], a["prev_sentence"], a["find"]])
        model = self.menuBar().addMenu("&Model")
        model.addActions([a["retrain"], a["cancel_training"], a["models"]])
        model.addSeparator()
        model.addAction(a["settings"])
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(a["help"])
        for action in a.values():  # shortcuts work even when the menu bar is hidden
            self.addAction(action)

    def _build_toolbar(self) -> None:
        a = self.actions
        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        for group in (("new_project", "open_project", "import", "export"), ("undo", "redo"),
                      ("retrain", "cancel_training"), ("models", "settings", "help")):
            if bar.actions():
                bar.addSeparator()
            for name in group:
                bar.addAction(a[name])
        a["new_project"].setIconText("New")
        a["open_project"].setIconText("Open")
        a["import"].setIconText("Import")
        a["export"].setIconText("Export")
        a["cancel_training"].setIconText("Cancel")
        a["help"].setIconText("Shortcuts")
        self.addToolBar(Qt.TopToolBarArea, bar)
        self.toolbar = bar

    def _build_panes(self) -> None:
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(12, 12, 6, 12)
        lay.setSpacing(8)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search sentences…  (Ctrl+F)")
        self.search_edit.setClearButtonEnabled(True)
        lay.addWidget(self.search_edit)
        row = QHBoxLayout()
        self.kind_combo = QComboBox()
        for key, name in FILTER_KINDS:
            self.kind_combo.addItem(name, key)
        self.label_combo = QComboBox()
        self.label_combo.addItem("Any label", None)
        for p in LABELS:
            self.label_combo.addItem(p.value.capitalize(), p)
        self.kind_combo.setToolTip("Which sentences to show; 'Least confident first' is the order that teaches "
                                   "the model most per label")
        self.label_combo.setToolTip("Only sentences with a term of this label (predicted, for unlabeled terms)")
        row.addWidget(self.kind_combo, 3)
        row.addWidget(self.label_combo, 2)
        lay.addLayout(row)
        self.count_label = QLabel("")
        self.count_label.setProperty("muted", True)
        lay.addWidget(self.count_label)
        self.sentence_model = SentenceListModel(self)
        self.sentence_list = QListView()
        self.sentence_list.setModel(self.sentence_model)
        self.sentence_list.setItemDelegate(SentenceDelegate(self.sentence_list))
        self.sentence_list.setUniformItemSizes(True)
        self.sentence_list.setMouseTracking(True)
        self.sentence_list.setVerticalScrollMode(QListView.ScrollPerPixel)
        self.sentence_list.setAccessibleName("Sentences")
        lay.addWidget(self.sentence_list, 1)

        self.term_panel = TermPanel()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        self.overview_panel = OverviewPanel()
        self.training_panel = TrainingPanel()
        self.models_panel = ModelsPanel()
        self.tabs.addTab(self.overview_panel, "Overview")
        self.tabs.addTab(self.training_panel, icon("retrain"), "Training")
        self.tabs.addTab(self.models_panel, icon("models"), "Models")
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(6, 12, 12, 12)
        rlay.addWidget(self.tabs)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.term_panel)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 4)
        self.splitter.setSizes([400, 620, 460])
        self.setCentralWidget(self.splitter)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.location_label = ElidedLabel()  # left; a passing message covers it for its few seconds
        self.location_label.setObjectName("projectLocation")
        self.location_label.setProperty("muted", True)
        self.location_label.setStyleSheet("QLabel { padding: 0 6px; }")
        bar.addWidget(self.location_label, 1)
        self.count_labels: dict[str, QLabel] = {}
        for p in LABELS:
            c = LABEL_COLORS[p]
            lab = QLabel("")
            lab.setObjectName(f"count_{p.value}")
            lab.setStyleSheet(f"QLabel {{ color: {c.text.name()}; background: {c.tint.name()}; border: 1px solid "
                              f"{c.border.name()}; border-radius: 9px; padding: 1px 9px; margin: 3px 2px; }}")
            bar.addPermanentWidget(lab)
            self.count_labels[p.value] = lab
        self.progress_label = QLabel("")
        self.progress_label.setProperty("muted", True)
        bar.addPermanentWidget(self.progress_label)
        self.model_label = QLabel("No model yet")
        self.model_label.setObjectName("modelState")
        self.model_label.setStyleSheet("QLabel { padding: 0 10px; }")
        bar.addPermanentWidget(self.model_label)

    # ---- small setters the controllers use -----------------------------------------------------
    def set_counts(self, per_label: dict[str, int], labeled: int, terms: int) -> None:
        for name, lab in self.count_labels.items():
            lab.setText(f"{per_label.get(name, 0)} {name}")
        self.progress_label.setText(f"{labeled} of {terms} terms labeled" if terms else "")

    def set_model_state(self, text: str, tooltip: str = "") -> None:
        self.model_label.setText(text)
        self.model_label.setToolTip(tooltip or text)

    def set_project_title(self, name: str | None, location: str | None = None, author: str | None = None) -> None:
        """Title: the project's name; status bar: where it lives (password as ***) and whose labels these are."""
        self.setWindowTitle(f"{name} — Polarity Studio" if name else "Polarity Studio")
        text = " · ".join(part for part in (location, f"labeling as {author}" if author else None) if part)
        self.location_label.set_full_text(text)

    # ---- geometry ----------------------------------------------------------------------------
    def restore_layout(self) -> None:
        geometry = self.settings.get(Key.WINDOW_GEOMETRY)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.get(Key.WINDOW_STATE)
        if not state.isEmpty():
            self.restoreState(state)
        split = self.settings.get(Key.SPLITTER_STATE)
        if not split.isEmpty():
            self.splitter.restoreState(split)

    def save_layout(self) -> None:
        self.settings.set(Key.WINDOW_GEOMETRY, self.saveGeometry())
        self.settings.set(Key.WINDOW_STATE, self.saveState())
        self.settings.set(Key.SPLITTER_STATE, self.splitter.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.close_guard is not None and not self.close_guard():
            event.ignore()
            return
        self.save_layout()
        event.accept()
