"""A project several people label at once (a PostgreSQL database; works on a file too).

Who: every label row records its author: the ``author`` a call names, else the ``Project``'s
(``Project.open(..., author=)``), else ``$POLARITY_AUTHOR``, else the OS user name.

What changed: the app remembers ``latest_event_id()`` and polls it (one index lookup); when it
grew, ``changes_since(marker)`` gives the new label rows with their sentence ids to reload.
Markers are ids of human/import rows only. Those rows are never deleted, and on PostgreSQL
label ids commit in id order (see ``core.storage.db``), so no row can appear below a marker
after it was read. Prediction rows are left out: they can be deleted with their model version,
after which SQLite would hand their ids out again.

Where models go: a server has no folder beside the project file, so training writes under a
models folder that every team member reaches (a shared filesystem): ``models_dir`` given to
``Project.open`` (``--models-dir``), else ``$POLARITY_MODELS_DIR``, else the folder stored in the
database when it was initialised. Model folders are stored relative to it, so members who mount
the share at another path point ``POLARITY_MODELS_DIR`` there and find every model.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.storage.base import StoreBase, label_event
from core.storage.errors import StoreError
from core.storage.records import LabelEvent
from core.storage.schema import EDITS, Label, Setting, Term

ENV_DB_URL = "POLARITY_DB_URL"
ENV_AUTHOR = "POLARITY_AUTHOR"
ENV_MODELS_DIR = "POLARITY_MODELS_DIR"
MODELS_DIR_SETTING = "models_dir"
MAX_AUTHOR = 128  # labels.author is VARCHAR(128)


def default_author() -> str | None:
    """``$POLARITY_AUTHOR``, else the OS user name (None when neither can be told)."""
    name = os.environ.get(ENV_AUTHOR, "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # no user name in the environment and no passwd entry (some containers)
            return None
    return name[:MAX_AUTHOR] or None


def server_models_dir(session: Session, given: str | Path | None, *, create: bool) -> Path:
    """The models folder of a server project (see the module's docstring); stores it at creation."""
    stored = session.get(Setting, MODELS_DIR_SETTING)
    chosen = given or os.environ.get(ENV_MODELS_DIR) or None
    if chosen:
        folder = Path(chosen).expanduser().resolve()
        if create and stored is None:
            session.add(Setting(key=MODELS_DIR_SETTING, value=str(folder)))  # a path, never the URL
        return folder
    if stored is not None and stored.value:
        return Path(str(stored.value))
    raise StoreError("a project on a database server needs a models folder that every team member can reach: "
                     f"pass --models-dir DIR (models_dir=...) when initialising it, or set {ENV_MODELS_DIR}")


class TeamMixin(StoreBase):

    def latest_event_id(self) -> int:
        """The id of the newest human/import label row (0 when none): the marker to poll with."""
        with self._read() as s:
            return int(s.scalar(select(func.max(Label.id)).where(EDITS)) or 0)

    def changes_since(self, after_id: int, limit: int = 1000) -> list[LabelEvent]:
        """Human/import label rows newer than ``after_id``, oldest first, each with its sentence id.

        At most ``limit`` rows: call again with the last id while the result is full.
        """
        with self._read() as s:
            rows = s.execute(select(Label, Term.sentence_id).join(Term, Term.id == Label.term_id)
                             .where(EDITS, Label.id > int(after_id)).order_by(Label.id).limit(max(1, int(limit))))
            return [label_event(row, sentence_id) for row, sentence_id in rows]
