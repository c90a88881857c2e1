"""The left pane: the search box, the filter combos, the count and the sentence list. Layout only.

It owns its widgets and says what happened through signals (``filterChanged``, ``rowChanged``,
``termStep``); controllers drive it through the small methods below and never reach into it.
A search waits ``SEARCH_DELAY_MS`` after the last key, so typing does not filter at every letter.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QLineEdit, QListView,
                               QVBoxLayout, QWidget)

from app.state.list_filter import SUGGESTED, ListFilter, make_filter
from app.views.sentence.sentence_list import SentenceDelegate, SentenceListModel
from core.domain import LABELS

FILTER_KINDS = (("all", "All sentences"), ("unlabeled", "Unlabeled"), ("labeled", "Labeled"),
                ("disagree", "Model disagrees"), ("least_confident", "Least confident first"),
                ("annotators_disagree", "Annotators disagree"), ("accepted", "Accepted predictions"),
                (SUGGESTED, "Open suggestions"))
SEARCH_DELAY_MS = 250


class SentenceListPane(QWidget):
    filterChanged = Signal(object)  # ListFilter, once the person stopped typing or picked a combo
    searchLeft = Signal()           # Escape in the search box: back to the sentence
    rowChanged = Signal(int)        # the current row (-1: none)
    termStep = Signal(int)          # Tab (+1) / Shift+Tab (-1) in the list: pick the next / previous term

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
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
        # "Least confident first" is the smallest gap between the two likeliest labels first
        # (core.storage.schema.MARGIN): the best of three uncertainty orders in bench_active.py.
        self.kind_combo.setToolTip("Which sentences to show; 'Least confident first' puts first the terms whose two "
                                   "likeliest labels are closest")
        self.label_combo.setToolTip("Only sentences with a term of this label (predicted, for unlabeled terms)")
        row.addWidget(self.kind_combo, 3)
        row.addWidget(self.label_combo, 2)
        lay.addLayout(row)
        self.count_label = QLabel("")
        self.count_label.setProperty("muted", True)
        self._counts = (0, 0)  # (sentences listed, sentences with open suggestions)
        lay.addWidget(self.count_label)
        self.model = SentenceListModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(SentenceDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.setVerticalScrollMode(QListView.ScrollPerPixel)
        self.list.setAccessibleName("Sentences")
        lay.addWidget(self.list, 1)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._connect_callbacks()

    def _connect_callbacks(self) -> None:
        self.kind_combo.currentIndexChanged.connect(self.apply_filter)
        self.label_combo.currentIndexChanged.connect(self.apply_filter)
        self.search_edit.textChanged.connect(self._on_search_edited)
        self.search_edit.returnPressed.connect(self.apply_filter)
        self._search_timer.timeout.connect(self.apply_filter)
        self.list.selectionModel().currentChanged.connect(self._on_current_changed)
        self.list.installEventFilter(self)
        self.search_edit.installEventFilter(self)

    # ---- the filter ----------------------------------------------------------------------------
    def current_filter(self) -> ListFilter:
        suggested = self.kind_combo.currentData() == SUGGESTED
        self.label_combo.setEnabled(not suggested)  # a suggestion has no label yet
        return make_filter(self.kind_combo.currentData(), None if suggested else self.label_combo.currentData(),
                           self.search_edit.text().strip())

    def set_filter(self, f: ListFilter) -> None:
        """Show ``f`` in the combos and the search box, then announce it once."""
        for widget in (self.kind_combo, self.label_combo, self.search_edit):
            widget.blockSignals(True)
        try:
            kind = self.kind_combo.findData(f.kind)
            self.kind_combo.setCurrentIndex(max(kind, 0))
            label = self.label_combo.findData(f.label) if f.label is not None else 0
            self.label_combo.setCurrentIndex(max(label, 0))
            self.search_edit.setText(f.text or "")
        finally:
            for widget in (self.kind_combo, self.label_combo, self.search_edit):
                widget.blockSignals(False)
        self.apply_filter()

    @Slot()
    def apply_filter(self) -> None:
        self._search_timer.stop()
        self.filterChanged.emit(self.current_filter())

    @Slot(str)
    def _on_search_edited(self, _text: str) -> None:
        self._search_timer.start()

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.ShortcutFocusReason)
        self.search_edit.selectAll()

    def search_has_focus(self) -> bool:
        return self.search_edit.hasFocus()

    # ---- the list ------------------------------------------------------------------------------
    def set_count(self, total: int) -> None:
        self._counts = (total, self._counts[1])
        self._show_counts()

    def set_suggestion_count(self, sentences: int) -> None:
        """How many sentences of the project have open suggestions (shown after the list's count)."""
        self._counts = (self._counts[0], sentences)
        self._show_counts()

    def _show_counts(self) -> None:
        total, open_ = self._counts
        text = f"{total} sentence{'s' if total != 1 else ''}"
        if self.kind_combo.currentData() == SUGGESTED:
            text += " with open suggestions"
        elif open_:
            text += f" · {open_} with open suggestions"
        self.count_label.setText(text)

    def current_row(self) -> int:
        return self.list.currentIndex().row()

    def select_row(self, row: int, center: bool = False) -> None:
        """Make ``row`` current (and so shown); a row past the loaded ones is fetched first."""
        while row >= self.model.rowCount() and self.model.canFetchMore():
            self.model.fetchMore()
        if 0 <= row < self.model.rowCount():
            index = self.model.index(row)
            self.list.setCurrentIndex(index)
            self.list.scrollTo(index, QAbstractItemView.PositionAtCenter if center else QAbstractItemView.EnsureVisible)

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.rowChanged.emit(current.row() if current.isValid() else -1)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        # Escape reaches the box only while training is off (else it is the cancel shortcut).
        if (obj is self.search_edit and event.type() == QEvent.KeyPress and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key_Escape):
            self.searchLeft.emit()
            return True
        if obj is self.list and event.type() == QEvent.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key_Tab and not event.modifiers():
                self.termStep.emit(+1)
                return True
            if event.key() == Qt.Key_Backtab:
                self.termStep.emit(-1)
                return True
        return False
