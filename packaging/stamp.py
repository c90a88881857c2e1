"""The fingerprint of the packaging inputs, so CI builds the desktop program only when they change.

``python packaging/stamp.py --check``  exit 0 if packaging/ and pyproject.toml are what the last
                                       passing package test saw, 1 if they changed
``python packaging/stamp.py --write``  record them (``make package-portable-test`` and ``make
                                       package-test`` do this after they pass)

The inputs include the portable build's scripts (packaging/portable.sh, portable_test.sh), so a
change to how the Debian 11 root is made is rebuilt and smoke-tested like a change to the spec.

The fingerprint (``packaging/verified.sha256``) is committed with the change it verified. A change
to the packaging that was not verified on a developer's machine therefore makes every CI run build
and smoke-test the program until someone commits a fresh fingerprint after a passing run.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAMP = ROOT / "packaging" / "verified.sha256"
INPUTS = ("packaging", "pyproject.toml")


def tracked_inputs() -> list[Path]:
    """The tracked files under INPUTS (git's list, so build outputs and caches never count)."""
    out = subprocess.run(["git", "ls-files", "-z", "--", *INPUTS], cwd=ROOT, capture_output=True, check=True)
    names = [n for n in out.stdout.decode("utf-8").split("\0") if n]
    return sorted(ROOT / n for n in names if ROOT / n != STAMP and (ROOT / n).is_file())


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in tracked_inputs():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        # line endings normalised: a Windows checkout of the same commit has the same fingerprint
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true")
    group.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    current = fingerprint()
    if args.write:
        STAMP.write_text(current + "\n", encoding="utf-8")
        print(f"stamp.py: recorded {current[:12]} in {STAMP.relative_to(ROOT)}")
        return 0
    recorded = STAMP.read_text(encoding="utf-8").strip() if STAMP.is_file() else ""
    if recorded == current:
        print(f"stamp.py: packaging inputs unchanged since the last passing package-test ({current[:12]})")
        return 0
    print(f"stamp.py: packaging inputs changed ({recorded[:12] or 'never verified'} -> {current[:12]})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
