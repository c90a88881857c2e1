"""The project's own term extractor: which folder is newest, and what it scored.

No schema change: the registry is one row of the ``settings`` table (JSON values), key
``terms.extractor``. Only one extractor is active at a time and nothing else points at it
(suggestions record the extractor's name, not a foreign key), so a table of versions would
hold nothing a row cannot. Registering is one transaction, done only after the folder is
completely written (``TermExtractor.save`` is atomic); the replaced folder is removed after the
commit, so a crash leaves at worst an unused folder, never a registry pointing at nothing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.storage.base import StoreBase
from core.storage.errors import StoreError
from core.storage.schema import Setting, utcnow

EXTRACTOR_KEY = "terms.extractor"


@dataclass(frozen=True)
class ExtractorRecord:
    folder: str                 # absolute path of the extractor folder
    metrics: dict[str, Any]     # dev_f1 and the rest of the held-out score, n_train, n_dev
    run_id: int | None          # the training run that made it
    created_at: str             # ISO 8601, UTC


class ExtractorsMixin(StoreBase):
    models_dir: Path

    def project_extractor(self) -> ExtractorRecord | None:
        """The registered extractor, or None (none trained yet, or its folder is gone)."""
        with self._read() as s:
            row = s.get(Setting, EXTRACTOR_KEY)
            value = row.value if row is not None else None
        if not isinstance(value, dict) or not value.get("folder"):
            return None
        folder = self._absolute_folder(str(value["folder"]))
        if not folder.is_dir():
            return None
        return ExtractorRecord(str(folder), dict(value.get("metrics") or {}), value.get("run_id"),
                               str(value.get("created_at", "")))

    def new_extractor_folder(self, run_id: int | None = None) -> Path:
        """A fresh folder name under ``models_dir`` (not created: ``TermExtractor.save`` makes it)."""
        return self._fresh_folder(run_id, "extractor-", "extractor")

    def register_extractor(self, folder: str | Path, metrics: dict[str, Any],
                           run_id: int | None = None) -> ExtractorRecord:
        """Make a completely written extractor folder the project's own; the replaced one (if it lies
        in the models folder) is deleted after the commit."""
        path = Path(folder)
        if not path.is_dir():
            raise StoreError(f"{path}: extractor folder does not exist")
        previous = self.project_extractor()
        value = {"folder": self._stored_folder(path), "metrics": metrics, "run_id": run_id,
                 "created_at": utcnow().isoformat(timespec="seconds")}
        with self._write() as s:
            row = s.get(Setting, EXTRACTOR_KEY)
            if row is None:
                s.add(Setting(key=EXTRACTOR_KEY, value=value))
            else:
                row.value = value
        if previous is not None and Path(previous.folder).resolve() != path.resolve():
            old = Path(previous.folder).resolve()
            if old.is_relative_to(self.models_dir.resolve()):
                shutil.rmtree(old, ignore_errors=True)
        record = self.project_extractor()
        assert record is not None
        return record
