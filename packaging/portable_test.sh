#!/usr/bin/env bash
# Proof of the portable build (`make package-portable-test`): packaging/smoke_test.py on the archive
# unpacked on this machine (Debian 12, glibc 2.36) and inside a fresh Debian 11 root (glibc 2.31)
# that has nothing but debootstrap's minbase and the desktop libraries the README lists.
#
#   packaging/portable_test.sh [ARCHIVE]   default: dist/polarity-studio-<version>-linux-x86_64.tar.gz
#
# Also: the archive unpacks to polarity-studio-<version>/, desktop-file-validate has nothing to say
# about its desktop entry, and `ldd` inside the Debian 11 root lists what the bundled libraries
# still miss there. Prints one JSON line; exit 0 only if everything passed. Needs root (chroot).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${POLARITY_SOURCE_ROOT:-$(cd "$HERE/.." && pwd)}"
HOST_PY="${HOST_PYTHON:-$ROOT/.venv/bin/python}"
TROOT="${POLARITY_PORTABLE_TEST_ROOT:-$ROOT/build/portable-test-root}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
read -r NAME VERSION < <(cd "$ROOT/packaging" && "$HOST_PY" -c 'from project_meta import project_meta; print(*project_meta())')
ARCHIVE="${1:-$ROOT/dist/$NAME-$VERSION-linux-x86_64.tar.gz}"
TOP="$NAME-$VERSION"
# What a desktop must supply (bullseye's package names): the GL dispatch libraries (the graphics
# driver behind them), libxcb and libX11, GLib, fontconfig/freetype. libc6, libstdc++6 and
# libgcc-s1 are in every Debian root already. The README's "Desktop build" lists the same.
DESKTOP_PACKAGES="libgl1 libegl1 libopengl0 libxcb1 libx11-6 libx11-xcb1 libxext6 libxrender1 libglib2.0-0
 libfontconfig1 libfreetype6"
log() { echo "portable_test.sh: $*" >&2; }
[ -f "$ARCHIVE" ] || { log "no archive $ARCHIVE: run packaging/portable.sh first"; exit 2; }
[ "$(id -u)" = 0 ] || { log "needs root (debootstrap, chroot, mount)"; exit 2; }

WORK="$(mktemp -d /tmp/polarity-portable-test.XXXXXX)"
MOUNTED=()
cleanup() {
    local m
    for m in "${MOUNTED[@]}"; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

log "unpacking $(basename "$ARCHIVE")"
tar -C "$WORK" -xzf "$ARCHIVE"
tops="$(ls "$WORK")"
[ "$tops" = "$TOP" ] || { log "the archive unpacks to '$tops', not $TOP/"; exit 1; }
desktop_hints="$(desktop-file-validate "$WORK/$TOP/polarity-studio.desktop" 2>&1 || true)"

log "smoke test on this machine ($(ldd --version | head -n 1))"
"$HOST_PY" "$ROOT/packaging/smoke_test.py" --folder "$WORK/$TOP" >"$WORK/host.json" || true

log "fresh Debian 11 root in $TROOT"
for fs in dev/shm dev/pts dev sys proc; do mountpoint -q "$TROOT/$fs" 2>/dev/null && umount -l "$TROOT/$fs"; done
rm -rf --one-file-system "$TROOT"
mkdir -p "$TROOT"
debootstrap --variant=minbase bullseye "$TROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
cp -L /etc/resolv.conf "$TROOT/etc/resolv.conf"
in_test_root() { chroot "$TROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
# shellcheck disable=SC2086
{ in_test_root apt-get update -q && in_test_root apt-get install -y -q --no-install-recommends $DESKTOP_PACKAGES; } \
    >"$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log" >&2; exit 1; }
mkdir -p "$TROOT/opt"
tar -C "$TROOT/opt" -xzf "$ARCHIVE"
for fs in proc sys dev dev/pts dev/shm; do
    if [ "$fs" = proc ]; then mount -t proc proc "$TROOT/proc"; else mount --bind "/$fs" "$TROOT/$fs"; fi
    MOUNTED=("$TROOT/$fs" "${MOUNTED[@]}")
done
guest_glibc="$(chroot "$TROOT" /usr/bin/ldd --version | head -n 1)"
# what the bundled libraries still miss there (optional Qt plugins for other desktops, mostly);
# LD_LIBRARY_PATH as the program's bootloader sets it, so bundled libraries count as found
chroot "$TROOT" /usr/bin/env LD_LIBRARY_PATH="/opt/$TOP/_internal" /bin/sh -c "find /opt/$TOP -name '*.so*' -type f | while read -r f; do
    ldd \"\$f\" 2>/dev/null | sed -n \"s|^\\s*\\(\\S*\\) => not found|\\1 \${f#/opt/$TOP/}|p\"; done" \
    | sort >"$WORK/missing.txt" || true

log "smoke test inside Debian 11 ($guest_glibc)"
"$HOST_PY" "$ROOT/packaging/smoke_test.py" --chroot "$TROOT" --folder "$TROOT/opt/$TOP" >"$WORK/guest.json" || true

"$HOST_PY" - "$WORK" "$guest_glibc" "$desktop_hints" <<'EOF'
import json, sys
from pathlib import Path
work, guest_glibc, hints = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

def report(name):
    text = (work / name).read_text()
    try:
        return json.loads(text[text.index("{"):])
    except ValueError:
        return {"ok": False, "output": text[-2000:]}

host, guest = report("host.json"), report("guest.json")
missing = [line.split(" ", 1) for line in (work / "missing.txt").read_text().splitlines() if line]
out = {
    "ok": bool(host.get("ok") and guest.get("ok") and not hints),
    "debian12_ok": host.get("ok"), "debian12_failed": host.get("failed"),
    "debian11_ok": guest.get("ok"), "debian11_failed": guest.get("failed"), "debian11_glibc": guest_glibc,
    "desktop_file_validate": hints or "no hints",
    "debian11_missing_libs": sorted({lib for lib, _f in missing}),
    "debian11_missing_for": sorted({f.split("/")[-1] for _l, f in missing})[:40],
    "debian12_timings": {k: host.get(k) for k in ("cold_start_to_window_seconds", "cli_first_prediction_seconds")},
    "debian11_timings": {k: guest.get(k) for k in ("cold_start_to_window_seconds", "cli_first_prediction_seconds")},
}
for name, rep in (("debian12", host), ("debian11", guest)):
    for key in rep.get("failed") or []:
        out[f"{name}_{key}"] = rep["checks"][key]["detail"]
print(json.dumps(out))
sys.exit(0 if out["ok"] else 1)
EOF
