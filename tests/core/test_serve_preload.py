"""A returning user's preload finds the last project's active model with one read-only query."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.serve.preload import active_model_folder
from core.storage import Project


def test_active_model_folder_reads_the_active_version_of_a_project_file(tmp_path: Path):
    db = tmp_path / "p.polarity"
    with Project.create(db) as project:
        inside = project.new_model_folder()
        inside.mkdir(parents=True)
        outside = tmp_path / "elsewhere" / "model"
        outside.mkdir(parents=True)
        project.register_model(outside, "two-phase", "bundled", {}, {}, 0)
        assert active_model_folder(db) == outside  # stored absolute
        project.register_model(inside, "two-phase", "bundled", {}, {}, 0)
        expected = Path(project.active_model().folder)
    before = db.stat().st_mtime_ns
    assert active_model_folder(db).resolve() == expected.resolve() == inside.resolve()  # stored relative
    assert db.stat().st_mtime_ns == before  # read-only: nothing written


@pytest.mark.parametrize("content", [None, b"", b"not a database at all" * 50])
def test_active_model_folder_is_none_where_there_is_nothing_to_preload(tmp_path: Path, content: bytes | None):
    db = tmp_path / "p.polarity"
    if content is None:
        Project.create(db).close()  # a project without any model
    else:
        db.write_bytes(content)
    assert active_model_folder(db) is None
    assert active_model_folder(tmp_path / "missing.polarity") is None
