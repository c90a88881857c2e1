"""Name and version of the program, read from pyproject.toml (the one place they are written).

Shared by the spec, build.py and smoke_test.py; they run as scripts with packaging/ on sys.path.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def project_meta(root: Path = ROOT) -> tuple[str, str]:
    """("polarity-studio", "0.1.0"): [project] name and version of ``root/pyproject.toml``."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib  # Python 3.11+

        project = tomllib.loads(text)["project"]
        return project["name"], project["version"]
    except ImportError:  # Python 3.10: both are plain strings in [project]
        name = re.search(r'^name\s*=\s*"([^"]+)"', text, re.M)
        version = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
        if not name or not version:
            raise SystemExit(f"{root / 'pyproject.toml'}: no [project] name/version") from None
        return name.group(1), version.group(1)
