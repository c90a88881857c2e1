"""The main window: menus, toolbar, the three panes and the status bar. Layout only.

Left: filters and the sentence list. Centre: the sentence, the model's answer, the label keys.
Right: Overview / Training / Models / Agreement / Aspects tabs. Controllers (``app/controllers/``) fill it through
the small setters below and its panes' own methods and signals; the window itself only knows
how to size itself to the screen, save its geometry and ask before closing.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QIcon, QResizeEvent
from PySide6.QtWidgets import (QLabel, QMainWindow, QMenu, QSizePolicy, QSplitter, QTabWidget, QToolBar,
                               QVBoxLayout, QWidget)

from app.state.settings import Key, Settings
from app.theme.actions import make_actions
from app.theme.style import LABEL_COLORS
from app.views.agreement_view import AgreementView
from app.views.aspects_view import AspectsView
from app.views.models_panel import ModelsPanel
from app.views.overview_panel import OverviewPanel
from app.views.sentence.list_pane import FILTER_KINDS, SentenceListPane
from app.views.term_panel import TermPanel
from app.views.training_panel import TrainingPanel
from app.widgets.job_progress import JobProgress
from core.domain import LABELS
from core.paths import resources_dir

__all__ = ["MainWindow", "DEFAULT_SIZE", "FILTER_KINDS", "fit_size"]
DEFAULT_SIZE = QSize(1440, 880)  # what it opens at on a large screen; smaller screens get what fits
MIN_SIZE = QSize(1180, 640)      # everything stays usable down to this (1366x768 minus the task bar)
FRAME_ALLOWANCE = QSize(16, 40)  # title bar and borders the window manager adds around the window


def fit_size(available: QRect | None, wanted: QSize = DEFAULT_SIZE) -> QSize:
    """``wanted``, shrunk to fit the screen's available area with its frame (never below MIN_SIZE)."""
    if available is None or available.isEmpty():
        return wanted
    width = min(wanted.width(), available.width() - FRAME_ALLOWANCE.width())
    height = min(wanted.height(), available.height() - FRAME_ALLOWANCE.height())
    return QSize(max(width, MIN_SIZE.width()), max(height, MIN_SIZE.height()))


class ElidedLabel(QLabel):
    """A one-line label that takes the room it is given and elides its text in the middle."""

    def __init__(self) -> None:
        super().__init__("")
        self._full = ""
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)

    def set_full_text(self, text: str, tooltip: str = "") -> None:
        self._full = text
        self.setToolTip(tooltip or text)
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
        self.setMinimumSize(MIN_SIZE)
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.resize(fit_size(screen.availableGeometry() if screen is not None else None))
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
        file_menu.addActions([a["suggest_terms"], a["cancel_suggest"]])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        edit = self.menuBar().addMenu("&Label")
        edit.addActions([a["label_negative"], a["label_neutral"], a["label_positive"], a["accept"], a["clear"]])
        edit.addSeparator()
        edit.addActions([a["undo"], a["redo"]])
        edit.addSeparator()
        edit.addActions([a["next_sentence"], a["prev_sentence"], a["find"]])
        edit.addSeparator()
        edit.addActions([a["accept_suggestion"], a["reject_suggestion"], a["accept_all_suggestions"], a["terms_done"]])
        edit.addSeparator()
        edit.addAction(a["label_everywhere"])
        review = self.menuBar().addMenu("&Review")
        review.addActions([a["final_negative"], a["final_neutral"], a["final_positive"]])
        review.addSeparator()
        review.addActions([a["accept_predictions"], a["undo_accept"]])
        review.addSeparator()
        review.addAction(a["agreement"])
        review.addAction(a["aspect_summary"])
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
        self.list_pane = SentenceListPane()
        left = self.list_pane
        # the pane's own widgets, named here for tests and the screenshot (controllers use its methods)
        self.search_edit, self.kind_combo, self.label_combo = left.search_edit, left.kind_combo, left.label_combo
        self.count_label, self.sentence_model, self.sentence_list = left.count_label, left.model, left.list

        self.term_panel = TermPanel()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        self.overview_panel = OverviewPanel()
        self.training_panel = TrainingPanel()
        self.models_panel = ModelsPanel()
        self.tabs.addTab(self.overview_panel, "Overview")
        self.tabs.addTab(self.training_panel, "Training")
        self.tabs.addTab(self.models_panel, "Models")
        self.agreement_view = AgreementView()
        self.tabs.addTab(self.agreement_view, "Agreement")
        self.aspects_view = AspectsView()
        self.tabs.addTab(self.aspects_view, "Aspects")
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
        left.setMinimumWidth(260)
        self.term_panel.setMinimumWidth(440)
        right.setMinimumWidth(400)
        self.splitter.setSizes([380, 600, 460])
        self.setCentralWidget(self.splitter)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.location_label = ElidedLabel()  # left; a passing message covers it for its few seconds
        self.location_label.setObjectName("projectLocation")
        self.location_label.setProperty("muted", True)
        self.location_label.setStyleSheet("QLabel { padding: 0 6px; }")
        bar.addWidget(self.location_label, 1)
        self.job_progress = JobProgress()  # a background job (Suggest terms): what, how far, Cancel
        bar.addPermanentWidget(self.job_progress)
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
        """Title and status bar: the project's name and whose labels these are; where it lives
        (password as ***) in the status bar's tooltip, since a path cut in the middle helps nobody."""
        self.setWindowTitle(f"{name} — Polarity Studio" if name else "Polarity Studio")
        text = " · ".join(part for part in (name, f"labeling as {author}" if author else None) if part)
        self.location_label.set_full_text(text, location or "")

    def show_message(self, text: str, ms: int = 0) -> None:
        """A passing message in the status bar ("" clears it)."""
        if text:
            self.statusBar().showMessage(text, ms)
        else:
            self.statusBar().clearMessage()

    def show_tab(self, name: str) -> None:
        """Bring the "overview", "training", "models", "agreement" or "aspects" tab to the front."""
        panel = {"overview": self.overview_panel, "training": self.training_panel, "models": self.models_panel,
                 "agreement": self.agreement_view, "aspects": self.aspects_view}[name]
        self.tabs.setCurrentWidget(panel)

    # ---- geometry ----------------------------------------------------------------------------
    def restore_layout(self) -> None:
        geometry = self.settings.get(Key.WINDOW_GEOMETRY)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
            screen = self.screen()
            if screen is not None:  # saved on a larger screen: shrink to this one
                self.resize(fit_size(screen.availableGeometry(), self.size()))
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
