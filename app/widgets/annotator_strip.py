"""One line under the chosen term: each annotator's own label, and the reviewer's final one.

"Annotators: alice negative · bob positive", then "Final label: positive set by lead", in label colours; hidden while fewer
than two annotators labeled the term and nobody adjudicated it (one label says nothing new).
"""

from __future__ import annotations

from html import escape
from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.theme.style import LABEL_COLORS, UI
from core.domain import Polarity


def chip(text: str, label: Polarity | None, bold: bool = False) -> str:
    """An inline label chip: the label's tint behind its dark text (grey dash when cleared)."""
    if label is None:
        return f"<span style='color:{UI.text_faint}'>{escape(text)} —</span>"
    c = LABEL_COLORS[label]
    weight = "font-weight:600;" if bold else ""
    return (f"<span style='background:{c.tint.name()}; color:{c.text.name()}; {weight}'>"
            f"&nbsp;{escape(text) + ' ' if text else ''}{label.value}&nbsp;</span>")


class AnnotatorStrip(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("annotatorStrip")
        self.setTextFormat(Qt.RichText)
        self.setWordWrap(True)
        self.setAccessibleName("Annotators' labels")
        self._plain = ""
        self.hide()

    def set_review(self, labels: Sequence[tuple[str, Polarity | None]], final: Polarity | None = None,
                   adjudicated_by: str | None = None, hint: str = "") -> None:
        """``labels``: (annotator, their label); ``final`` with ``adjudicated_by``: the verdict."""
        if len(labels) < 2 and adjudicated_by is None:
            self.clear_review()
            return
        parts = [chip(name, label) for name, label in labels]
        text = "Annotators: " + " · ".join(parts)
        plain = "; ".join(f"{n} {lab.value if lab else '—'}" for n, lab in labels)
        if adjudicated_by is not None:
            text += f"<br>Final label: {chip('', final, bold=True)} <span style='color:{UI.text_muted}'>" \
                    f"set by {escape(adjudicated_by)}</span>"
            plain += f"; final {final.value if final else '—'} by {adjudicated_by}"
        if hint:
            text += f"<br><span style='color:{UI.text_muted}'>{escape(hint)}</span>"
        self._plain = plain
        self.setText(text)
        self.show()

    def clear_review(self) -> None:
        self._plain = ""
        self.setText("")
        self.hide()

    def plain_text(self) -> str:
        """What it says, without markup (for tests and the accessible description)."""
        return self._plain
