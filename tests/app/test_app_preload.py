"""What the app preloads at launch (core.serve.preload): the model the first prediction needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.storage import Project


def test_the_app_preloads_the_last_projects_active_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The choice of what to preload: the starter on a first launch, else the last project's model,
    nothing for a server project."""
    import core.serve.preload as preload_module
    from app.context import AppContext
    from app.main import preload_first_model
    from app.state.settings import Key

    asked: list[Path] = []
    monkeypatch.setattr(preload_module, "preload", lambda folder, threads=0: asked.append(Path(folder)) or True)
    ctx = AppContext.create(tmp_path / "data", tmp_path / "settings.ini", True)
    assert preload_first_model(ctx) and asked == [Path(ctx.starter_model)]
    db = tmp_path / "p.polarity"
    with Project.create(db) as project:
        folder = project.new_model_folder()
        folder.mkdir(parents=True)
        project.register_model(folder, "two-phase", "bundled", {}, {}, 0)
    ctx.settings.set(Key.LAST_PROJECT, str(db))
    assert preload_first_model(ctx) and asked[-1].resolve() == folder.resolve()
    assert not preload_first_model(ctx, "postgresql+psycopg://me@db.example/polarity") and len(asked) == 2
