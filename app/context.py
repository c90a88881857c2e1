"""Where the app keeps its things: the data folder, the settings, the starter model.

One small value passed to the window and the controllers instead of globals, so tests (and
``--data-dir`` / ``--settings``) point everything at a temporary folder and never touch the
person's real settings or projects.

Environment overrides (read only by ``AppContext.from_environment``):
``POLARITY_STUDIO_HOME`` (data folder), ``POLARITY_STUDIO_SETTINGS`` (an ini file),
``POLARITY_STUDIO_STARTER`` (a model folder used instead of the bundled starter model),
``POLARITY_STUDIO_POLL_MS`` (how often an open project is checked for others' labels).

The author name labels are recorded under is the person's choice, kept in the settings
(``team/author``); unset, it is ``$POLARITY_AUTHOR`` or the OS user name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from app.state.settings import Key, Settings
from core.paths import starter_model_dir
from core.storage.team import MAX_AUTHOR, default_author

HOME_ENV = "POLARITY_STUDIO_HOME"
SETTINGS_ENV = "POLARITY_STUDIO_SETTINGS"
STARTER_ENV = "POLARITY_STUDIO_STARTER"
POLL_ENV = "POLARITY_STUDIO_POLL_MS"
DEMO_NAME = "Demo project.db"
DEFAULT_POLL_MS = 3000  # a poll is one or two index lookups; 3 s feels live without loading a server


@dataclass
class AppContext:
    data_dir: Path
    settings: Settings
    starter_model: Path | None  # None: no starter model shipped (the person retrains first)
    poll_ms: int = DEFAULT_POLL_MS  # how often others' labels are looked for (0: never)
    starter_extractor: Path | None = None  # the term extractor "Suggest terms" uses (None: core's starter)

    @classmethod
    def create(cls, data_dir: str | Path, settings: Settings | str | Path | None = None,
               starter_model: str | Path | None | bool = True, poll_ms: int = DEFAULT_POLL_MS) -> "AppContext":
        """``settings``: a Settings, an ini path, or None (the user's QSettings).
        ``starter_model``: a folder, True (the bundled one if present) or None/False (none)."""
        folder = Path(data_dir).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        if settings is None or isinstance(settings, Settings):
            typed = settings or Settings()
        else:
            typed = Settings(QSettings(str(settings), QSettings.IniFormat))
        if starter_model is True:
            starter = starter_model_dir()
        elif starter_model:
            starter = Path(starter_model)  # type: ignore[arg-type]
        else:
            starter = None
        if starter is not None and not (starter / "model.json").is_file():
            starter = None
        return cls(folder, typed, starter, max(0, int(poll_ms)))

    @classmethod
    def from_environment(cls, data_dir: str | None = None, settings_path: str | None = None) -> "AppContext":
        """Arguments first, then the environment, then the platform's standard places."""
        home = data_dir or os.environ.get(HOME_ENV) or default_data_dir()
        ini = settings_path or os.environ.get(SETTINGS_ENV) or None
        starter: str | bool = os.environ.get(STARTER_ENV) or True
        try:
            poll = int(os.environ.get(POLL_ENV) or DEFAULT_POLL_MS)
        except ValueError:
            poll = DEFAULT_POLL_MS
        return cls.create(home, ini, starter, poll)

    @property
    def author(self) -> str:
        """Who this person's labels are by: the name they gave, else $POLARITY_AUTHOR / the OS user."""
        return self.settings.get(Key.AUTHOR).strip() or default_author() or "unknown"

    def set_author(self, name: str) -> None:
        """Remember ``name`` (trimmed; empty forgets it and the default applies again). The name in
        use already is not written, so $POLARITY_AUTHOR / the OS user stay in charge until one is chosen."""
        name = name.strip()[:MAX_AUTHOR]
        if not name:
            self.settings.reset(Key.AUTHOR)
        elif name != self.author:
            self.settings.set(Key.AUTHOR, name)

    @property
    def demo_project(self) -> Path:
        return self.data_dir / DEMO_NAME

    @property
    def projects_dir(self) -> Path:
        """Where New project proposes to save."""
        return self.data_dir


def default_data_dir() -> Path:
    """QStandardPaths.AppDataLocation (needs the application and organization names set)."""
    location = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)
    return Path(location) if location else Path.home() / ".polarity-studio"
