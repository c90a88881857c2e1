#!/bin/sh
# Install Polarity Studio for the current user (no root needed):
#   the program folder -> ~/.local/opt/polarity-studio
#   commands           -> ~/.local/bin/polarity-studio, ~/.local/bin/polarity (symbolic links)
#   desktop entry      -> ~/.local/share/applications/polarity-studio.desktop
#   icons              -> ~/.local/share/icons/hicolor/<size>/apps/polarity-studio.{png,svg}
# Run it from the unpacked folder: ./install-linux.sh   (./install-linux.sh --uninstall removes it all)
# PREFIX=/opt/... and DATA_HOME=/usr/share ./install-linux.sh installs elsewhere (with the rights to).
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
PREFIX="${PREFIX:-$HOME/.local/opt/polarity-studio}"
BIN_DIR="${BIN_DIR:-$HOME/.local/bin}"
DATA_HOME="${DATA_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}}"
APPS="$DATA_HOME/applications"
ICONS="$DATA_HOME/icons/hicolor"

refresh() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$APPS" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$BIN_DIR/polarity-studio" "$BIN_DIR/polarity" "$APPS/polarity-studio.desktop"
    for size in 16 32 48 64 128 256 512; do rm -f "$ICONS/${size}x${size}/apps/polarity-studio.png"; done
    rm -f "$ICONS/scalable/apps/polarity-studio.svg"
    rm -rf "$PREFIX"
    refresh
    echo "Polarity Studio removed (your projects and settings are kept)."
    exit 0
fi

[ -x "$HERE/polarity-studio" ] || { echo "install-linux.sh: run it from the unpacked polarity-studio folder" >&2; exit 2; }
if [ "$HERE" != "$PREFIX" ]; then
    rm -rf "$PREFIX.new"
    mkdir -p "$(dirname "$PREFIX")"
    cp -a "$HERE" "$PREFIX.new"
    rm -rf "$PREFIX"
    mv "$PREFIX.new" "$PREFIX"
fi
mkdir -p "$BIN_DIR" "$APPS" "$ICONS/scalable/apps"
ln -sf "$PREFIX/polarity-studio" "$BIN_DIR/polarity-studio"
ln -sf "$PREFIX/polarity" "$BIN_DIR/polarity"
for size in 16 32 48 64 128 256 512; do
    if [ -f "$PREFIX/icons/polarity-studio-$size.png" ]; then
        mkdir -p "$ICONS/${size}x${size}/apps"
        cp "$PREFIX/icons/polarity-studio-$size.png" "$ICONS/${size}x${size}/apps/polarity-studio.png"
    fi
done
cp "$PREFIX/icons/polarity-studio.svg" "$ICONS/scalable/apps/polarity-studio.svg"
sed -e "s|^Exec=.*|Exec=\"$PREFIX/polarity-studio\" %f|" -e "s|^TryExec=.*|TryExec=$PREFIX/polarity-studio|" \
    "$PREFIX/polarity-studio.desktop" > "$APPS/polarity-studio.desktop"
chmod 644 "$APPS/polarity-studio.desktop"
refresh
echo "Polarity Studio installed in $PREFIX; start it from the applications menu or with: polarity-studio"
