"""A team project in the window: others' labels show up, yours carry your name, Connect to server.

"Another annotator" is a second ``Project`` connection with author "bob" on the same store (a
SQLite file here; two app instances on one file work the same way). The window polls every
100 ms in these tests. The PostgreSQL test needs POLARITY_TEST_PG_URL (``.ci/run`` sets it) and
is skipped with the reason without it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox

from app.context import AppContext
from app.dialogs.connect_dialog import ConnectDialog, parse_server_url
from app.state.app_state import remember_password, split_url
from app_helpers import UNLABELED, make_project, make_settings, row_terms, show_sentence, show_window
from core.domain import Polarity
from core.storage import Project, SentenceFilter, StoreError
from core.storage.credentials import _supply_password

pytestmark = pytest.mark.slow
SHOWN = UNLABELED
PASSWORD = "hunter2-Secret"
POLL_MS = 100


@pytest.fixture
def ctx(tmp_path: Path, ini: Path, tiny_model: Path, tiny_base_model: Path) -> AppContext:
    """The shared context, polling every POLL_MS and labeling as ann."""
    ctx = AppContext.create(tmp_path / "data", make_settings(ini, tiny_base_model), tiny_model, poll_ms=POLL_MS)
    ctx.set_author("ann")
    return ctx


@pytest.fixture
def project_file(tmp_path: Path, small_tsv: Path, tiny_model: Path) -> Path:
    return make_project(tmp_path / "team.db", small_tsv, tiny_model)


def bob_labels(where, sentence: str, term: str, polarity: Polarity) -> None:
    """Another annotator, on a connection of their own."""
    with Project.open(where, author="bob") as bob:
        rec = next(r for r in bob.page(SentenceFilter(text=sentence[:25]), limit=5) if r.text == sentence)
        start = sentence.index(term)
        found = next((t for t in rec.terms if (t.start, t.end) == (start, start + len(term))), None)
        term_id = found.id if found is not None else bob.add_term(rec.id, start, start + len(term)).id
        bob.set_label(term_id, polarity)


def per_label(where) -> dict[str, int]:
    with Project.open(where) as store:
        return store.stats().per_label


def test_others_labels_show_up_and_keep_my_span(qtbot, app, project_file: Path) -> None:
    window, controller = app
    show_sentence(window, controller, SHOWN)
    start = SHOWN.index("staff")
    controller.labeling.select_span(start, start + 5)  # a new span the person picked, not saved yet
    window.statusBar().clearMessage()
    bob_labels(project_file, SHOWN, "coffee", Polarity.NEGATIVE)
    bob_labels(project_file, "The soup was cold and far too salty.", "soup", Polarity.NEUTRAL)
    qtbot.waitUntil(lambda: row_terms(window, SHOWN)["coffee"] == Polarity.NEGATIVE, timeout=3000)
    assert window.statusBar().currentMessage() == "2 labels by bob" == controller.refresh.last_message
    counts = per_label(project_file)
    qtbot.waitUntil(lambda: all(lab.text() == f"{counts[name]} {name}"  # counted off the GUI thread
                                for name, lab in window.count_labels.items()), timeout=5000)
    assert row_terms(window, "The soup was cold and far too salty.")["soup"] == Polarity.NEUTRAL
    # the sentence on screen shows bob's label, and the person's span is still the one they picked
    assert controller.labeling.span == (start, start + 5)
    coffee = SHOWN.index("coffee")
    assert any((t.start, t.label) == (coffee, Polarity.NEGATIVE) for t in window.term_panel.sentence_view.terms())
    controller.labeling.select_span(coffee, coffee + 6)
    assert window.term_panel.term_state.text() == "labeled negative by bob"
    assert controller.labeling.bars.human_text() == "bob: negative"  # the pill names bob, not "You"
    shot = project_file.parent / "after-refresh.png"
    assert window.grab().save(str(shot))


def test_my_undo_never_takes_back_a_label_bob_gave_since(qtbot, app, project_file: Path) -> None:
    window, controller = app
    show_sentence(window, controller, SHOWN)
    qtbot.keyClick(window.term_panel.sentence_view, Qt.Key_1)  # ann: negative
    bob_labels(project_file, SHOWN, "coffee", Polarity.POSITIVE)  # then bob: positive
    qtbot.keyClick(window.term_panel.sentence_view, Qt.Key_Z, Qt.ControlModifier)
    assert "Not undone: bob labeled this term after you" in window.statusBar().currentMessage()
    with Project.open(project_file) as store:
        term = next(t for r in store.page(SentenceFilter(text="coffee"), limit=5) for t in r.terms if t.text == "coffee")
        assert term.label is Polarity.POSITIVE
        assert [e.author for e in store.history(term.id, include_model=False)] == ["ann", "bob"]


def test_my_labels_carry_my_name_and_are_not_announced(qtbot, app, project_file: Path) -> None:
    window, controller = app
    show_sentence(window, controller, SHOWN)
    assert controller.labeling.current_term().text == "coffee"
    qtbot.keyClick(window.term_panel.sentence_view, Qt.Key_3)
    with Project.open(project_file) as store:
        term = next(t for r in store.page(SentenceFilter(text="coffee"), limit=5) for t in r.terms if t.text == "coffee")
        assert [e.author for e in store.history(term.id, include_model=False)] == ["ann"]
    polls = controller.refresh.polls
    qtbot.waitUntil(lambda: controller.refresh.polls >= polls + 2, timeout=3000)
    assert controller.refresh.last_message == "" and controller.refresh.marker > 0
    assert window.term_panel.term_state.text() == "labeled positive by you"
    assert controller.labeling.bars.human_text() == "You: positive"
    assert "labeling as ann" in window.location_label.full_text()
    assert str(project_file) in window.location_label.toolTip()  # the name shows; the path is in the tooltip


def test_polls_from_a_worker_thread_when_asked(qtbot, app, project_file: Path) -> None:
    window, controller = app
    refresh = controller.refresh
    refresh.use_worker = True
    bob_labels(project_file, "We ordered the soup and a salad.", "salad", Polarity.POSITIVE)
    qtbot.waitUntil(lambda: row_terms(window, "We ordered the soup and a salad.")["salad"] == Polarity.POSITIVE,
                    timeout=3000)
    lane = refresh._lane
    assert lane is not None and lane.is_running()
    assert refresh.shutdown() and not lane.is_running()


def test_a_model_another_member_made_active_is_served(qtbot, app, project_file: Path, tiny_model: Path) -> None:
    window, controller = app
    qtbot.waitUntil(lambda: controller.predictor.state == "ready", timeout=30000)
    with Project.open(project_file, author="bob") as bob:
        version = bob.register_model(tiny_model, "two-phase", "tiny", {}, {"accuracy": 0.5}, 24, activate=True)
    qtbot.waitUntil(lambda: controller.predictor.model is not None
                    and controller.predictor.model.version_id == version.id, timeout=3000)
    assert window.models_panel.table.rowCount() == 2
    assert f"model v{version.id} is now the active one" in controller.refresh.last_message.lower()


def test_polling_stops_while_the_window_is_hidden(qtbot, app) -> None:
    window, controller = app
    assert controller.refresh.timer.isActive()
    window.hide()
    assert not controller.refresh.timer.isActive()
    window.show()
    qtbot.waitExposed(window)
    assert controller.refresh.timer.isActive()


def test_connect_dialog_builds_the_url_and_keeps_the_password_apart(qtbot, app, ini: Path, monkeypatch) -> None:
    window, controller = app
    monkeypatch.delenv("POLARITY_DB_URL", raising=False)
    window.actions["connect_server"].trigger()
    box = controller.team.connect_box
    assert isinstance(box, ConnectDialog) and box.isVisible() and box.author_edit.text() == "ann"
    box.url_edit.setText(f"postgresql://ann:{PASSWORD}@db.example:5433/labels")
    box.url_edit.editingFinished.emit()
    assert box.url_edit.text() == "postgresql://ann@db.example:5433/labels"
    assert box.password_edit.text() == PASSWORD and box.password_edit.echoMode() == QLineEdit.Password
    request = box.request()
    assert request.url == "postgresql+psycopg://ann@db.example:5433/labels"
    assert request.password == PASSWORD and request.full_url().password == PASSWORD
    assert PASSWORD not in str(request.full_url())
    box.url_edit.setText("mysql://ann@db.example/labels")
    box.submit()
    assert "not a PostgreSQL URL" in box.status_label.text() and box.connect_button.isEnabled()
    box.close()
    window.close()  # settings written on close
    assert PASSWORD not in ini.read_text(encoding="utf-8")


def test_prefills_from_the_environment(qtbot, app, monkeypatch, tmp_path: Path) -> None:
    window, controller = app
    monkeypatch.setenv("POLARITY_DB_URL", f"postgresql+psycopg://team:{PASSWORD}@10.0.0.5/labels")
    monkeypatch.setenv("POLARITY_MODELS_DIR", str(tmp_path / "shared-models"))
    box = controller.team.connect_dialog()
    assert box.url_edit.text() == "postgresql+psycopg://team@10.0.0.5/labels"
    assert box.password_edit.text() == PASSWORD
    assert box.models_edit.text() == str(tmp_path / "shared-models")
    box.close()


def test_unreachable_server_shows_the_masked_url_and_reason(qtbot, app, ini: Path) -> None:
    window, controller = app
    box = controller.team.connect_dialog()
    box.url_edit.setText("postgresql+psycopg://ann@127.0.0.1:1/labels")
    box.password_edit.setText(PASSWORD)
    box.submit()
    qtbot.waitUntil(lambda: box.findChild(QMessageBox, "errorDialog") is not None, timeout=15000)
    error = box.findChild(QMessageBox, "errorDialog")
    assert "postgresql+psycopg://ann:***@127.0.0.1:1/labels" in error.text()
    assert "refused" in error.text().lower() or "connect" in error.text().lower()
    assert PASSWORD not in error.text() and PASSWORD not in (error.detailedText() or "")
    assert "Not connected" in box.status_label.text() and box.connect_button.isEnabled()
    shot = ini.parent / "connect-error.png"
    assert box.grab().save(str(shot))
    error.close()
    box.close()
    assert controller.state.path is not None and not controller.state.is_server  # the file stays open
    window.close()
    text = ini.read_text(encoding="utf-8")
    assert PASSWORD not in text and "127.0.0.1:1" not in text  # a failed server is not a recent project


def test_db_argument_with_a_password_in_the_url_masks_it(qtbot, app) -> None:
    window, controller = app
    controller.start(f"postgresql+psycopg://ann:{PASSWORD}@127.0.0.1:1/labels")
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None, timeout=15000)
    error = window.findChild(QMessageBox, "errorDialog")
    assert "ann:***@127.0.0.1:1/labels" in error.text() and PASSWORD not in error.text()
    error.close()


def test_url_parsing_and_the_password_hook() -> None:
    assert parse_server_url("postgresql://u:p@h/db") == ("postgresql+psycopg://u@h/db", "p")
    with pytest.raises(StoreError, match="names no database"):
        parse_server_url("postgresql+psycopg://u@h")
    with pytest.raises(StoreError) as info:
        parse_server_url(f"postgresql+psycopg://u:{PASSWORD}@h:notaport/db")
    assert PASSWORD not in str(info.value)
    url = split_url("postgresql+psycopg://carol@hook.example:6000/db")[0]
    remember_password(url, PASSWORD)

    class Dialect:
        name = "postgresql"

    try:
        cparams = {"host": "hook.example", "port": 6000, "user": "carol", "dbname": "db"}
        _supply_password(Dialect(), None, [], cparams)
        assert cparams["password"] == PASSWORD
        other = {"host": "hook.example", "port": 6000, "user": "dave", "dbname": "db"}
        _supply_password(Dialect(), None, [], other)
        assert "password" not in other
    finally:
        remember_password(url, None)


# ---- PostgreSQL ---------------------------------------------------------------------------------
PG_ENV = "POLARITY_TEST_PG_URL"


@pytest.fixture
def pg_project(tmp_path: Path, small_tsv: Path, tiny_model: Path, monkeypatch):
    """A fresh schema of the test database holding a project (as tests/core/conftest.py makes them)."""
    base = os.environ.get(PG_ENV, "").strip()
    if not base:
        pytest.skip(f"the PostgreSQL app test needs {PG_ENV}=postgresql+psycopg://USER@HOST:PORT/DB "
                    "(.ci/run starts a server and sets it)")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    schema = f"t_app_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        pytest.skip(f"PostgreSQL is unreachable: {str(exc).splitlines()[0]}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema},public"})
    text = url.render_as_string(hide_password=False)
    monkeypatch.delenv("POLARITY_MODELS_DIR", raising=False)
    monkeypatch.delenv("POLARITY_DB_URL", raising=False)
    with Project.create(text, models_dir=tmp_path / "shared-models") as store:
        store.import_file(small_tsv)
        sentence = store.add_sentence(SHOWN)
        store.add_term(sentence.id, SHOWN.index("coffee"), SHOWN.index("coffee") + len("coffee"))
    yield text
    with admin.connect() as conn:
        conn.exec_driver_sql("SET lock_timeout = '10s'")
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def test_connects_to_postgresql_and_sees_others_labels(qtbot, app, pg_project: str, ini: Path,
                                                       tmp_path: Path) -> None:
    window, controller = app
    box = controller.team.connect_dialog()
    box.url_edit.setText(pg_project)
    box.password_edit.setText(PASSWORD)  # the test server trusts local connections and ignores it
    box.author_edit.setText("ann")
    box.submit()
    qtbot.waitUntil(lambda: controller.state.is_server, timeout=15000)
    assert controller.team.connect_box is None or not controller.team.connect_box.isVisible()
    assert controller.state.project.models_dir == (tmp_path / "shared-models").resolve()
    # jobs get the folder explicitly; nothing is exported to the environment
    assert controller.state.job_target()[1] == str((tmp_path / "shared-models").resolve())
    assert os.environ.get("POLARITY_MODELS_DIR") != str((tmp_path / "shared-models").resolve())
    assert window.windowTitle().startswith(f"{split_url(pg_project)[0].database} on ")
    assert "labeling as ann" in window.location_label.full_text() and PASSWORD not in window.location_label.full_text()
    assert window.sentence_model.total() == per_label_total(pg_project)

    show_window(qtbot, window)  # active again after the dialog: the window's shortcuts fire
    show_sentence(window, controller, SHOWN)
    qtbot.keyClick(window.term_panel.sentence_view, Qt.Key_1)  # my label, on the server
    assert row_terms(window, SHOWN)["coffee"] == Polarity.NEGATIVE
    bob_labels(pg_project, "The soup was cold and far too salty.", "soup", Polarity.POSITIVE)
    qtbot.waitUntil(lambda: row_terms(window, "The soup was cold and far too salty.")["soup"] == Polarity.POSITIVE,
                    timeout=5000)
    assert controller.refresh.last_message == "1 label by bob"
    with Project.open(pg_project) as store:
        authors = {e.author for e in store.changes_since(0)}
    assert {"ann", "bob"} <= authors
    window.close()
    text = ini.read_text(encoding="utf-8")
    assert PASSWORD not in text and "author=ann" in text and "search_path" in text  # recent: the URL, no password
    assert "POLARITY_MODELS_DIR" not in os.environ  # exported only while the server project is open


def per_label_total(where: str) -> int:
    with Project.open(where) as store:
        return store.stats().sentences


def test_db_argument_and_the_author_setting(ctx: AppContext, ini: Path, monkeypatch) -> None:
    from app.controllers.team_controller import db_argument

    monkeypatch.delenv("POLARITY_DB_URL", raising=False)
    assert db_argument(None) is None and db_argument("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(SystemExit) as info:
        db_argument("")  # --db alone, nothing in the environment
    assert info.value.code == 2
    monkeypatch.setenv("POLARITY_DB_URL", "postgresql+psycopg://u@h/db")
    assert db_argument("") == "postgresql+psycopg://u@h/db"
    assert ctx.author == "ann"
    ctx.set_author("")  # forgotten: $POLARITY_AUTHOR / the OS user again
    monkeypatch.setenv("POLARITY_AUTHOR", "carol")
    assert ctx.author == "carol"
    ctx.set_author("carol")  # the name in use is not pinned in the settings
    ctx.settings.sync()
    assert "author" not in ini.read_text(encoding="utf-8")
