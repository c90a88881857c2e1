"""Moving through the sentence list: next / previous, a given row, the search box and filter combos,
and the list keys (↓ / ↑ in the sentence change sentence, Tab / Shift+Tab in the list pick a term).

It only moves the list's current row or changes its filter; ``LabelingController`` shows the
sentence the list points at.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView

from app.main_window import MainWindow
from core.storage import SentenceFilter

SEARCH_DELAY_MS = 250


class SentenceNavigator(QObject):
    def __init__(self, window: MainWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.w = window
        self.view = window.term_panel.sentence_view
        self.model = window.sentence_model
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._connect_callbacks()

    def _connect_callbacks(self) -> None:
        a, panel = self.w.actions, self.w.term_panel
        a["next_sentence"].triggered.connect(self.next_sentence)
        a["prev_sentence"].triggered.connect(self.previous_sentence)
        a["find"].triggered.connect(self.focus_search)
        panel.nextClicked.connect(self.next_sentence)
        panel.previousClicked.connect(self.previous_sentence)
        self.w.kind_combo.currentIndexChanged.connect(self.apply_filter)
        self.w.label_combo.currentIndexChanged.connect(self.apply_filter)
        self.w.search_edit.textChanged.connect(self._on_search_edited)
        self._search_timer.timeout.connect(self.apply_filter)
        self.view.installEventFilter(self)
        self.w.sentence_list.installEventFilter(self)

    # ---- moving --------------------------------------------------------------------------------
    @Slot()
    def next_sentence(self) -> None:
        self._step(+1)

    @Slot()
    def previous_sentence(self) -> None:
        self._step(-1)

    def _step(self, delta: int) -> None:
        current = self.w.sentence_list.currentIndex().row()
        row = 0 if current < 0 else current + delta
        if row >= self.model.rowCount() and self.model.canFetchMore():
            self.model.fetchMore()
        if 0 <= row < self.model.rowCount():
            index = self.model.index(row)
            self.w.sentence_list.setCurrentIndex(index)
            self.w.sentence_list.scrollTo(index)

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            index = self.model.index(row)
            self.w.sentence_list.setCurrentIndex(index)
            self.w.sentence_list.scrollTo(index, QAbstractItemView.PositionAtCenter)

    @Slot()
    def focus_search(self) -> None:
        self.w.search_edit.setFocus(Qt.ShortcutFocusReason)
        self.w.search_edit.selectAll()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.KeyPress and isinstance(event, QKeyEvent) and not event.modifiers():
            if obj is self.view and event.key() in (Qt.Key_Down, Qt.Key_Up):
                self._step(+1 if event.key() == Qt.Key_Down else -1)
                return True
            if obj is self.w.sentence_list and event.key() == Qt.Key_Tab:
                self.view.select_next_term()
                return True
        if (event.type() == QEvent.KeyPress and isinstance(event, QKeyEvent) and obj is self.w.sentence_list
                and event.key() == Qt.Key_Backtab):
            self.view.select_previous_term()
            return True
        return False

    # ---- filters -------------------------------------------------------------------------------
    @Slot(str)
    def _on_search_edited(self, _text: str) -> None:
        self._search_timer.start()

    @Slot()
    def apply_filter(self) -> None:
        self._search_timer.stop()
        f = SentenceFilter(self.w.kind_combo.currentData(), self.w.label_combo.currentData(),
                           self.w.search_edit.text().strip())
        self.model.set_filter(f)
