"""Every command of the window in one table: text, keys, icon, tip. The menus, the toolbar and
the Help panel are all made from it, so a shortcut is changed (and documented) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget

from core.paths import resources_dir


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    keys: tuple[str, ...] = ()
    icon: str = ""
    tip: str = ""
    group: str = ""          # heading in the Help panel
    checkable: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new_project", "&New project…", ("Ctrl+N",), "new", "Create an empty project file", "Project"),
    ActionSpec("open_project", "&Open project…", ("Ctrl+O",), "open", "Open a project file", "Project"),
    ActionSpec("connect_server", "&Connect to server…", ("Ctrl+Shift+O",), "",
               "Open a team project on a PostgreSQL server", "Project"),
    ActionSpec("import", "&Import…", ("Ctrl+I",), "import",
               "Add sentences and labels from TSV, SemEval XML, JSONL or CSV, or raw text (also .txt, .xlsx)",
               "Project"),
    ActionSpec("export", "&Export…", ("Ctrl+E",), "export", "Write the labels (and predictions) to a file", "Project"),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",), "", "Close Polarity Studio", "Project"),
    ActionSpec("label_negative", "Label &negative", ("1",), "", "Label the chosen term negative", "Labeling"),
    ActionSpec("label_neutral", "Label ne&utral", ("2",), "", "Label the chosen term neutral", "Labeling"),
    ActionSpec("label_positive", "Label &positive", ("3",), "", "Label the chosen term positive", "Labeling"),
    ActionSpec("accept", "&Accept the model's label", ("Return", "Enter"), "",
               "Store the model's label for the chosen term as yours", "Labeling"),
    ActionSpec("clear", "&Clear label", ("Delete", "Backspace"), "", "Remove your label from the chosen term",
               "Labeling"),
    ActionSpec("undo", "&Undo", ("Ctrl+Z",), "undo", "Undo the last label", "Labeling"),
    ActionSpec("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "redo", "Redo what undo took back", "Labeling"),
    ActionSpec("next_sentence", "Ne&xt sentence", ("J",), "", "Go to the next sentence (also ↓)", "Moving"),
    ActionSpec("prev_sentence", "Pre&vious sentence", ("K",), "", "Go to the previous sentence (also ↑)", "Moving"),
    ActionSpec("find", "&Search sentences", ("Ctrl+F",), "", "Type to filter the sentences by text", "Moving"),
    ActionSpec("retrain", "&Retrain", ("Ctrl+R",), "retrain", "Train a new model from the current labels", "Model"),
    ActionSpec("cancel_training", "&Cancel training", ("Escape",), "cancel", "Stop the training that runs", "Model"),
    ActionSpec("models", "&Models", ("Ctrl+M",), "models", "Model versions: metrics, roll back", "Model"),
    ActionSpec("settings", "&Settings…", ("Ctrl+,",), "settings", "Engine, base model, epochs, device", "Model"),
    ActionSpec("final_negative", "Final label &negative", ("Ctrl+1",), "",
               "Reviewer: settle a disagreed term as negative", "Review"),
    ActionSpec("final_neutral", "Final label ne&utral", ("Ctrl+2",), "",
               "Reviewer: settle a disagreed term as neutral", "Review"),
    ActionSpec("final_positive", "Final label &positive", ("Ctrl+3",), "",
               "Reviewer: settle a disagreed term as positive", "Review"),
    ActionSpec("accept_predictions", "&Accept predictions above…", ("Ctrl+Shift+A",), "",
               "Label the unlabeled terms the model is sure of (asks first)", "Review"),
    ActionSpec("undo_accept", "&Undo the last bulk accept", (), "",
               "Take the newest bulk accept back in one step", "Review"),
    ActionSpec("agreement", "A&greement", ("Ctrl+G",), "", "How much the annotators agree (kappa heatmap)",
               "Review"),
    ActionSpec("help", "&Keyboard shortcuts", ("F1",), "help", "All shortcuts", "Help"),
    ActionSpec("label_everywhere", "Label every &occurrence…", ("Ctrl+L",), "",
               "Add the chosen term wherever its text appears (shows the count first)", "Aspects"),
    ActionSpec("aspect_summary", "Aspect &summary", ("Ctrl+U",), "",
               "What each aspect is said to be: a bar per aspect, negative to positive", "Aspects"),
    ActionSpec("accept_suggestion", "Accept the suggested &term", ("A",), "",
               "Make the chosen suggested term a term (then 1 / 2 / 3 label it)", "Suggestions"),
    ActionSpec("reject_suggestion", "Re&ject the suggested term", ("X",), "",
               "Drop the chosen suggested term; it is never suggested again", "Suggestions"),
    ActionSpec("accept_all_suggestions", "Accept all suggested ter&ms", ("Shift+A",), "",
               "Make every suggested term of the sentence a term", "Suggestions"),
    ActionSpec("terms_done", "All terms &done", ("D",), "",
               "Mark (or unmark) that every term of the sentence is marked", "Suggestions", checkable=True),
    ActionSpec("suggest_terms", "Suggest &terms", ("Ctrl+Shift+T",), "",
               "Let the term extractor propose the terms of every sentence", "Project"),
    ActionSpec("cancel_suggest", "Stop suggesting terms", ("Escape",), "",
               "Stop the term suggestions that run (what is stored stays)", "Project"),
)

# Keys two actions share because they are never enabled together: Escape stops what runs in the
# background. While training runs, its action stops the term suggestions too and theirs is off.
SHARED_KEYS: dict[str, tuple[str, ...]] = {"Escape": ("cancel_training", "cancel_suggest")}

# Keys handled by widgets rather than actions; listed in the Help panel.
WIDGET_KEYS: tuple[tuple[str, str, str], ...] = (
    ("Moving", "↓ / ↑", "Next / previous sentence"),
    ("Moving", "Tab / Shift+Tab", "Next / previous term or suggested term in the sentence"),
    ("Moving", "← / →", "Pick the previous / next word"),
    ("Moving", "Shift+← / Shift+→", "Grow the phrase by a word"),
    ("Labeling", "Click", "Pick a word (or an existing or suggested term)"),
    ("Labeling", "Drag", "Pick a phrase"),
)


def icon(name: str) -> QIcon:
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if name and path.is_file() else QIcon()


def make_actions(parent: QWidget) -> dict[str, QAction]:
    out: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(icon(spec.icon), spec.text, parent)
        action.setObjectName(spec.name)
        if spec.keys:
            action.setShortcuts([QKeySequence(k) for k in spec.keys])
        tip = spec.tip + (f" ({spec.keys[0]})" if spec.keys else "")
        action.setToolTip(tip)
        action.setStatusTip(spec.tip)
        action.setCheckable(spec.checkable)
        out[spec.name] = action
    return out


def shortcut_rows() -> list[tuple[str, str, str]]:
    """(group, keys, what) for the Help panel, in the order of the table."""
    rows = [(s.group, " / ".join(QKeySequence(k).toString(QKeySequence.NativeText) for k in s.keys),
             s.tip) for s in ACTIONS if s.keys]
    rows.extend(WIDGET_KEYS)
    order = ["Labeling", "Suggestions", "Aspects", "Moving", "Review", "Model", "Project", "Help"]
    return sorted(rows, key=lambda r: order.index(r[0]) if r[0] in order else len(order))
