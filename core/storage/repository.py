"""``Project``: the repository the app and the CLI use on a project file.

    with Project.open("reviews.db") as project:
        page = project.page(SentenceFilter("unlabeled"), offset=0, limit=50)
        project.set_label(page[0].terms[0].id, Polarity.POSITIVE)

One ``Project`` per thread: SQLite connections must not cross threads, so a worker opens its own.
Label writes are single short transactions; the history is append-only (undo and redo write rows).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.domain import Polarity, validate_span
from core.storage.base import TERM_COLUMNS, StoreBase, label_event, stamp, term_record
from core.storage.db import connect, display, mask, reader, sqlite_path, to_url, writer
from core.storage.errors import NotAProjectError, StoreError
from core.storage.extractors import ExtractorsMixin
from core.storage.io import ImportExportMixin
from core.storage.migrations import ensure_schema, read_version
from core.storage.versions import ModelsMixin
from core.storage.queries import QueryMixin
from core.storage.records import LabelEvent, SentenceRecord, TermRecord
from core.storage.review import ReviewMixin
from core.storage.suggestions import SuggestionsMixin, close_suggestion
from core.storage.summary import SummaryMixin
from core.storage.schema import (ANNOTATOR_SOURCES, Label, Sentence, Setting, Term, refresh_disputed, refresh_uncertainty,
                                 sentence_lookup)
from core.storage.team import ENV_MODELS_DIR, TeamMixin, default_author, server_models_dir

EDIT_SOURCES = ("human", "import")


class Project(QueryMixin, ImportExportMixin, ModelsMixin, TeamMixin, ReviewMixin, SuggestionsMixin, SummaryMixin,
              ExtractorsMixin, StoreBase):
    """An open project. Use ``Project.open`` / ``Project.create``; close it (or use ``with``).

    ``location`` names it in messages: the file, or the URL with its password as ***.
    """

    def __init__(self, engine: Engine, project_dir: Path, models_dir: Path, location: str,
                 author: str | None = None) -> None:
        self._init_engine(engine)
        self.project_dir = project_dir
        self.models_dir = models_dir
        self.location = location
        self.author = author

    # -- opening -----------------------------------------------------------------------------------

    @classmethod
    def open(cls, path_or_url: str | Path, create: bool = False, *, models_dir: str | Path | None = None,
             recover_runs: bool = True, author: str | None = None) -> "Project":
        """Open (and upgrade) a project file or database URL; with ``create``, make it when missing.

        ``models_dir``: where trained models go (file: default ``<name>.models`` beside it; server:
        see ``core.storage.team``). ``author``: recorded on labels (default: ``default_author()``).
        Runs left "queued"/"running" by a process that no longer exists are marked failed.
        """
        return cls._open(path_or_url, create=create, new=False, models_dir=models_dir, recover_runs=recover_runs,
                         author=author)

    @classmethod
    def create(cls, path_or_url: str | Path, **kwargs: Any) -> "Project":
        """Make a new project; refuses a file that exists or a database that holds a project."""
        db_file = sqlite_path(to_url(path_or_url))
        if db_file is not None and db_file.exists():
            raise StoreError(f"{db_file}: a file of that name exists already")
        return cls._open(path_or_url, create=True, new=True, **kwargs)

    @classmethod
    def _open(cls, path_or_url: str | Path, *, create: bool, new: bool, models_dir: str | Path | None = None,
              recover_runs: bool = True, author: str | None = None) -> "Project":
        url = to_url(path_or_url)
        engine = connect(url)
        db_file = sqlite_path(engine.url)
        location = str(db_file) if db_file is not None else display(engine.url)
        if db_file is not None:
            if not db_file.exists() and not create:
                engine.dispose()
                raise NotAProjectError(f"{db_file}: no such project file")
            if create:
                db_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            if db_file is None and create:
                _check_new_server_project(engine, models_dir, new)
            ensure_schema(engine, create=create)
            if db_file is not None:
                project_dir = db_file.parent
                models = Path(models_dir).resolve() if models_dir else project_dir / f"{db_file.stem}.models"
            else:
                with Session(writer(engine) if create else reader(engine)) as s, s.begin():
                    models = project_dir = server_models_dir(s, models_dir, create=create)
        except StoreError as exc:
            engine.dispose()
            raise type(exc)(f"{location}: {mask(str(exc), url)}") from None
        except Exception as exc:  # not SQLite at all, unreadable, locked for too long, server unreachable
            engine.dispose()
            raise NotAProjectError(f"{location}: cannot open as a project: {mask(_reason(exc), url)}") from None
        project = cls(engine, project_dir, models, location, author or default_author())
        if recover_runs:
            project.recover_runs()
        return project

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- settings ----------------------------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._read() as s:
            row = s.get(Setting, key)
            return row.value if row is not None else default

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value (None removes the key)."""
        with self._write() as s:
            row = s.get(Setting, key)
            if value is None:
                if row is not None:
                    s.delete(row)
            elif row is None:
                s.add(Setting(key=key, value=value))
            else:
                row.value = value

    def settings(self) -> dict[str, Any]:
        with self._read() as s:
            return {row.key: row.value for row in s.scalars(select(Setting))}

    # -- sentences and terms -----------------------------------------------------------------------

    def add_sentence(self, text: str, source: str = "", external_id: str | None = None) -> SentenceRecord:
        """Add a sentence typed or pasted in the app; returns the existing one if it is known."""
        if not text.strip():
            raise StoreError("a sentence must not be empty")
        with self._write() as s:
            row = s.scalar(select(Sentence).where(sentence_lookup(s.get_bind().dialect.name, [text]),
                                                  Sentence.text == text, Sentence.external_id == (external_id or "")))
            if row is None:
                row = Sentence(text=text, source=source, external_id=external_id or "", position=0)
                s.add(row)
                s.flush()
            return self._records(s, [row.id])[0]

    def get_sentence(self, sentence_id: int) -> SentenceRecord | None:
        with self._read() as s:
            found = self._records(s, [sentence_id])
            return found[0] if found else None

    def get_term(self, term_id: int) -> TermRecord | None:
        with self._read() as s:
            row = s.execute(select(*TERM_COLUMNS, Sentence.text).join(Sentence, Sentence.id == Term.sentence_id)
                            .where(Term.id == term_id)).first()
            return term_record(row, row.text) if row is not None else None

    def add_term(self, sentence_id: int, start: int, end: int, category: str = "") -> TermRecord:
        """Add the term ``[start, end)`` of a sentence; the existing term if that span (and category) is known."""
        with self._write() as s:
            sentence = s.get(Sentence, sentence_id)
            if sentence is None:
                raise StoreError(f"no sentence with id {sentence_id}")
            problem = validate_span(sentence.text, start, end)
            if problem:
                raise StoreError(f"cannot add term: {problem}")
            term = s.scalar(select(Term).where(Term.sentence_id == sentence_id, Term.start == start, Term.end == end,
                                            Term.category == category))
            if term is None:
                term = Term(sentence_id=sentence_id, start=start, end=end, category=category)
                s.add(term)
                s.flush()
            close_suggestion(s, term)  # a suggested span a person labels directly is accepted, not left open
            return term_record(term, sentence.text)

    # -- labels ------------------------------------------------------------------------------------

    def set_label(self, term_id: int, polarity: Polarity | None, source: str = "human",
                  author: str | None = None) -> LabelEvent:
        """Give a term a label (None clears it): one new history row, one transaction.

        ``author`` defaults to the Project's. Setting the label the same person already gave
        writes nothing and returns that row; another person giving the same label is recorded
        (their agreement is history too). Two people labeling one term at once both land in the
        history; the later commit is the current label.
        """
        if source not in EDIT_SOURCES:
            raise ValueError(f"label source must be one of {EDIT_SOURCES} (predictions: store_predictions)")
        value = Polarity(polarity).value if polarity is not None else None
        author = author or self.author
        with self._write() as s:
            term = self._term_for_update(s, term_id)
            if source == "human" and term.current_source == "human" and term.current_label == value:
                newest = s.scalar(select(Label).where(Label.term_id == term_id, Label.source == "human")
                                  .order_by(Label.id.desc()).limit(1))
                if newest is not None and newest.author == author:
                    return label_event(newest)
            return self._append(s, term, value, source, "set", author)

    def undo(self, term_id: int, author: str | None = None, only_by: str | None = None) -> LabelEvent | None:
        """Restore the label the term had before the newest human action; None if nothing to undo.

        ``only_by``: take back only an action of this author. The app passes its person when it
        undoes their own last action, so that in a team project a label someone else gave the
        term since is never taken back silently (StoreError naming them instead)."""
        with self._write() as s:
            term = self._term_for_update(s, term_id)
            done, _undone = _replay(s, term_id)
            if not done:
                return None
            row, before = done[-1]
            if only_by and row.author and row.author != only_by:
                raise StoreError(f"{row.author} labeled this term after you: undo would take back their label")
            # the label comes back with its provenance: an imported label undone to is "import" again
            return self._append(s, term, before[0], "human", "undo", author or self.author, current_source=before[1])

    def redo(self, term_id: int, author: str | None = None) -> LabelEvent | None:
        """Apply again the action the newest undo took back; None if nothing to redo."""
        with self._write() as s:
            term = self._term_for_update(s, term_id)
            _done, undone = _replay(s, term_id)
            if not undone:
                return None
            row, _before = undone[-1]
            return self._append(s, term, row.polarity, "human", "redo", author or self.author)

    def history(self, term_id: int, include_model: bool = True) -> list[LabelEvent]:
        """Every label row of a term, oldest first."""
        with self._read() as s:
            query = select(Label).where(Label.term_id == term_id)
            if not include_model:
                query = query.where(Label.source != "model")
            return [label_event(r) for r in s.scalars(query.order_by(Label.id))]

    @staticmethod
    def _term_for_update(s: Any, term_id: int) -> Term:
        """The term, row-locked (PostgreSQL: SELECT ... FOR UPDATE) and read after the write lock, so
        the "same label again?" check and the cached current_* columns see every earlier commit."""
        term = s.get(Term, term_id, with_for_update=True, populate_existing=True)
        if term is None:
            raise StoreError(f"no term with id {term_id}")
        return term

    @staticmethod
    def _append(s: Any, term: Term, value: str | None, source: str, action: str, author: str | None,
                current_source: str | None = None) -> LabelEvent:
        row = Label(term_id=term.id, polarity=value, source=source, action=action, author=author,
                    created_at=stamp(s.connection()))
        s.add(row)
        term.current_label = value
        term.current_source = (current_source or source) if value is not None else source
        s.flush()
        refresh_uncertainty(s.connection(), [term.sentence_id])
        if source in ANNOTATOR_SOURCES:
            refresh_disputed(s.connection(), [term.id])
        return label_event(row)


Before = tuple[str | None, str | None]  # (label, its source) before a human action


def _replay(s: Any, term_id: int) -> tuple[list[tuple[Label, Before]], list[tuple[Label, Before]]]:
    """Walk a term's human/import rows; return the undo stack and the redo stack.

    Each entry is (the row of a human action, the label and its source before it). Any other
    edit (an import, an adjudication, a bulk accept or its undo) is a barrier: undo never reaches
    past it.
    """
    rows = s.scalars(select(Label).where(Label.term_id == term_id, Label.source != "model")
                     .order_by(Label.id)).all()
    done: list[tuple[Label, Before]] = []
    undone: list[tuple[Label, Before]] = []
    current: Before = (None, None)
    for row in rows:
        if row.source != "human":
            done.clear()
            undone.clear()
        elif row.action == "undo" and done:
            undone.append(done.pop())
        elif row.action == "redo" and undone:
            done.append(undone.pop())
        elif row.action == "set":
            done.append((row, current))
            undone.clear()
        current = (row.polarity, _restored_source(row, done, undone))
    return done, undone


def _restored_source(row: Label, done: list[tuple[Label, Before]], undone: list[tuple[Label, Before]]) -> str:
    """The source of the label a row leaves current: an undo's is that of the label it restored."""
    if row.action == "undo" and undone:
        return undone[-1][1][1] or "human"
    return row.source


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _check_new_server_project(engine: Engine, models_dir: str | Path | None, new: bool) -> None:
    """Before creating a server project: refuse one that exists (``new``), and one without a models folder."""
    with engine.connect() as conn:
        found = read_version(conn)
    if found is not None:
        if new:
            raise StoreError("the database holds a Polarity Studio project already")
        return
    if not models_dir and not os.environ.get(ENV_MODELS_DIR):
        raise StoreError("a project on a database server needs a models folder that every team member can "
                         f"reach: pass --models-dir DIR (models_dir=...) or set {ENV_MODELS_DIR}")
