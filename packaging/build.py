"""Build the desktop program: ``python packaging/build.py`` (``make package``).

Runs PyInstaller on ``packaging/polarity_studio.spec`` into ``dist/polarity-studio/`` (one folder:
``polarity-studio`` and ``polarity`` beside ``_internal/``), adds the Linux desktop entry, icon and
installer script to the folder, packs ``dist/polarity-studio-<version>-<os>-<arch>.tar.gz`` (``.zip``
on Windows) whose files unpack into a versioned folder ``polarity-studio-<version>/`` (so a new
version unpacked beside an old one never mixes files), and prints a JSON report: build_seconds,
folder_mb, archive_mb and, on Linux, glibc_max: the newest glibc symbol version any bundled
library or program needs (``objdump -T``), the oldest glibc the build runs on.

The build runs on this machine's glibc and newer. ``packaging/portable.sh`` (``make
package-portable``) runs this script inside a Debian 11 root, for glibc 2.31 and newer.

Options: ``--archive gz|xz|zip|none`` (default gz; zip on Windows), ``--clean`` (drop PyInstaller's
cache first), ``--skip-build`` (only pack an existing folder).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

from project_meta import project_meta  # packaging/, beside this script

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "polarity_studio.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
MIB = 1024 * 1024


def platform_tag() -> str:
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower().replace("amd64", "x86_64").replace("arm64", "aarch64")
    return f"{system}-{machine}"


def folder_size(folder: Path) -> int:
    """Bytes in the folder's files (symbolic links counted as links, as an archive stores them)."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            total += os.lstat(path).st_size
    return total


def run_pyinstaller(clean: bool) -> float:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit("build.py: PyInstaller is not installed: pip install 'pyinstaller>=6.10' "
                         "(the project's `packaging` extra)") from None
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)]
    if clean:
        cmd.insert(3, "--clean")
    print("build.py:", " ".join(cmd), file=sys.stderr, flush=True)
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True)
    return time.perf_counter() - started


def add_cli_link(folder: Path, app_name: str) -> None:
    """``polarity`` -> ``polarity-studio`` (Linux, macOS): the launcher runs the CLI under that name.
    Windows builds have a real polarity.exe from the spec instead."""
    if sys.platform.startswith("win"):
        return
    link = folder / "polarity"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(app_name)  # relative: the folder can be moved or unpacked anywhere


def add_desktop_files(folder: Path) -> None:
    """The .desktop entry, the icons and install-linux.sh at the top of the folder (Linux builds)."""
    if not sys.platform.startswith("linux"):
        return
    shutil.copy2(PACKAGING / "polarity-studio.desktop", folder / "polarity-studio.desktop")
    shutil.copy2(PACKAGING / "install-linux.sh", folder / "install-linux.sh")
    (folder / "install-linux.sh").chmod(0o755)
    icons = folder / "icons"
    icons.mkdir(exist_ok=True)
    for src in sorted((ROOT / "resources" / "icons").glob("polarity-studio*")):
        if src.suffix in (".png", ".svg"):
            shutil.copy2(src, icons / src.name)


GLIBC_VERSION = re.compile(rb"\bGLIBC_(\d+)\.(\d+)(?:\.(\d+))?\b")


def glibc_needs(folder: Path) -> dict[str, object] | None:
    """The newest ``GLIBC_x.y`` symbol version that any ELF file in the folder needs, and which file
    needs it (``objdump -T``: the dynamic symbols the loader resolves). None off Linux or without objdump."""
    objdump = shutil.which("objdump")
    if not sys.platform.startswith("linux") or not objdump:
        return None
    best: tuple[int, ...] = (0,)
    needs_it: list[str] = []
    elf_files = 0
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with open(path, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        elf_files += 1
        out = subprocess.run([objdump, "-T", str(path)], capture_output=True).stdout
        versions = {tuple(int(g) for g in m.groups() if g is not None) for m in GLIBC_VERSION.finditer(out)}
        top = max(versions, default=(0,))
        if top > best:
            best, needs_it = top, []
        if top == best:
            needs_it.append(path.relative_to(folder).as_posix())
    return {"glibc_max": ".".join(map(str, best)), "glibc_max_needed_by": needs_it[:8], "elf_files": elf_files}


def pack(folder: Path, kind: str, stem: str, top: str) -> tuple[Path | None, float]:
    """The archive of ``folder``, whose files unpack into ``top/``."""
    started = time.perf_counter()
    if kind == "none":
        return None, 0.0
    if kind == "zip":
        target = DIST / f"{stem}.zip"
        tmp = target.with_name(target.name + ".part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, (Path(top) / path.relative_to(folder)).as_posix())
    else:
        target = DIST / f"{stem}.tar.{kind}"
        tmp = target.with_name(target.name + ".part")
        if kind == "xz" and shutil.which("tar") and shutil.which("xz"):
            # multi-threaded xz: Python's lzma uses one core and takes several minutes here
            with open(tmp, "wb") as out:
                tar = subprocess.Popen(["tar", "-C", str(folder.parent), f"--transform=s,^{folder.name},{top},",
                                        "-cf", "-", folder.name],
                                       stdout=subprocess.PIPE)
                subprocess.run(["xz", "-6", "-T0", "-c"], stdin=tar.stdout, stdout=out, check=True)
                if tar.wait() != 0:
                    raise SystemExit("build.py: tar failed")
        else:
            options = {"compresslevel": 6} if kind == "gz" else {"preset": 6}
            with tarfile.open(tmp, f"w:{kind}", **options) as tf:  # type: ignore[call-overload]
                tf.add(folder, arcname=top)
    os.replace(tmp, target)
    return target, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", choices=("gz", "xz", "zip", "none"),
                        default="zip" if sys.platform.startswith("win") else "gz")
    parser.add_argument("--clean", action="store_true", help="clear PyInstaller's cache before building")
    parser.add_argument("--skip-build", action="store_true", help="pack the folder already in dist/")
    args = parser.parse_args(argv)
    name, version = project_meta()
    folder = DIST / name
    build_seconds = None if args.skip_build else run_pyinstaller(args.clean)
    if not folder.is_dir():
        raise SystemExit(f"build.py: no build at {folder}")
    add_cli_link(folder, name)
    add_desktop_files(folder)
    stem = f"{name}-{version}-{platform_tag()}"
    for old in DIST.glob(f"{stem}.*"):
        old.unlink()
    archive, archive_seconds = pack(folder, args.archive, stem, f"{name}-{version}")
    report = {
        "name": name, "version": version, "platform": platform_tag(), "folder": str(folder.relative_to(ROOT)),
        "build_seconds": round(build_seconds, 1) if build_seconds is not None else None,
        "folder_mb": round(folder_size(folder) / MIB, 1),
        "files": sum(len(files) for _d, _s, files in os.walk(folder)),
        "archive": str(archive.relative_to(ROOT)) if archive else None,
        "archive_mb": round(archive.stat().st_size / MIB, 1) if archive else None,
        "archive_seconds": round(archive_seconds, 1),
        "archive_folder": f"{name}-{version}/" if archive else None,
        **(glibc_needs(folder) or {}),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
