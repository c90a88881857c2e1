"""Colours and the application style: one place for every colour the widgets draw with.

Widgets never hard-code a colour: they read ``LABEL_COLORS`` for the three polarities and
``UI`` for the chrome (text, borders, accent), so a palette change is made here once.
The style sheet lives in ``resources/style/app.qss`` with ``@name@`` tokens that
``apply_style`` fills from ``UI``; when the file is missing (a broken build) the app still
starts with the Fusion style and the palette.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from core.domain import LABELS, Polarity
from core.paths import resources_dir


@dataclass(frozen=True)
class LabelColors:
    """The variants of one label's colour.

    ``fill`` is the saturated colour (bars, dashed outlines, chart series); ``tint`` is a
    light background on which ``text`` (a dark shade of the same hue) stays readable;
    ``border`` sits between the two for outlines of tinted boxes.
    """

    fill: QColor
    tint: QColor
    text: QColor
    border: QColor


def _lc(fill: str, tint: str, text: str, border: str) -> LabelColors:
    return LabelColors(QColor(fill), QColor(tint), QColor(text), QColor(border))


# Google-style hues: red / grey / green are what people already read as bad / meh / good.
LABEL_COLORS: dict[Polarity, LabelColors] = {
    Polarity.NEGATIVE: _lc("#d93025", "#fbe0dd", "#a50e0e", "#ee9a93"),
    Polarity.NEUTRAL: _lc("#80868b", "#e8eaed", "#3c4043", "#b4b8bc"),
    Polarity.POSITIVE: _lc("#188038", "#d7efdf", "#0d652d", "#8fcca1"),
}


@dataclass(frozen=True)
class UiColors:
    """Chrome colours shared by the style sheet and the painted widgets."""

    window: str = "#f6f7f9"      # behind panels
    surface: str = "#ffffff"     # cards, inputs, painted widgets
    surface_alt: str = "#f1f3f4"  # bar tracks, hover, alternate rows
    border: str = "#dadce0"
    border_strong: str = "#bdc1c6"
    grid: str = "#eceef1"        # chart grid lines: visible, never louder than data
    text: str = "#202124"
    text_muted: str = "#5f6368"
    text_faint: str = "#9aa0a6"
    accent: str = "#1a73e8"      # primary buttons, focus rings, selection
    accent_hover: str = "#1765cc"
    accent_pressed: str = "#185abc"
    accent_tint: str = "#e8f0fe"
    warning: str = "#e37400"     # "the model disagrees with you"

    def color(self, name: str) -> QColor:
        return QColor(getattr(self, name))


UI = UiColors()

# Sequential colours for series that are not labels (training curves, versions).
SERIES_COLORS: tuple[QColor, ...] = (QColor("#1a73e8"), QColor("#e37400"), QColor("#9334e6"), QColor("#12b5cb"))


def label_colors(label: Polarity | str | None) -> LabelColors:
    """Colours of a label given as a Polarity or its name; unknown names get neutral grey."""
    if isinstance(label, Polarity):
        return LABEL_COLORS[label]
    if isinstance(label, str):
        for p in LABELS:
            if p.value == label.strip().lower():
                return LABEL_COLORS[p]
    return LABEL_COLORS[Polarity.NEUTRAL]


def style_sheet_path() -> Path:
    return resources_dir() / "style" / "app.qss"


def render_style_sheet(template: str, colors: UiColors = UI, style_dir: Path | None = None) -> str:
    """Replace ``@name@`` tokens with colours from ``colors`` and ``@style_dir@`` with the folder
    of the sheet's images (forward slashes: QSS urls); unknown tokens are left as is."""
    folder = (style_dir or style_sheet_path().parent).as_posix()

    def sub(match: re.Match[str]) -> str:
        if match.group(1) == "style_dir":
            return folder
        return str(getattr(colors, match.group(1), match.group(0)))
    return re.sub(r"@([a-z_]+)@", sub, template)


def light_palette(colors: UiColors = UI) -> QPalette:
    """A light palette, set explicitly so a dark desktop theme does not give dark inputs
    behind dark text, and painted widgets that read the palette match the sheet."""
    pal = QPalette()
    c = colors.color
    for role, name in ((QPalette.Window, "window"), (QPalette.Base, "surface"), (QPalette.AlternateBase, "surface_alt"),
                       (QPalette.Button, "surface"), (QPalette.ToolTipBase, "text"), (QPalette.ToolTipText, "surface"),
                       (QPalette.WindowText, "text"), (QPalette.Text, "text"), (QPalette.ButtonText, "text"),
                       (QPalette.PlaceholderText, "text_faint"), (QPalette.Highlight, "accent"), (QPalette.Link, "accent"),
                       (QPalette.Mid, "border"), (QPalette.Midlight, "surface_alt"), (QPalette.Dark, "border_strong")):
        pal.setColor(role, c(name))
    pal.setColor(QPalette.HighlightedText, QColor("#ffffff"))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        pal.setColor(QPalette.Disabled, role, c("text_faint"))
    return pal


def apply_style(app: QApplication) -> None:
    """Fusion + light palette + the style sheet; the system font, one step larger when tiny."""
    app.setStyle("Fusion")  # same look on every OS, and it honours the palette fully
    app.setPalette(light_palette())
    font = QFont(app.font())
    if font.pointSizeF() > 0 and font.pointSizeF() < 10:
        font.setPointSizeF(10)  # 9pt defaults on some Linux desktops read as a debug panel
        app.setFont(font)
    path = style_sheet_path()
    if path.is_file():
        app.setStyleSheet(render_style_sheet(path.read_text(encoding="utf-8")))
