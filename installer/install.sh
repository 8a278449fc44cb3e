#!/usr/bin/env bash
# Installs what desktop-agent needs on a Debian/Ubuntu machine: system packages, then a virtualenv
# (.venv) with the package and its test tools. Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  xvfb xdotool xclip x11-utils            # virtual display, X input fallback, clipboard, xwininfo
  yad xterm x11-apps                      # real applications the end-to-end tests drive
  python3-venv python3-tk fonts-dejavu-core
  dbus at-spi2-core libatk-adaptor       # the accessibility buses and GTK 3's bridge to them
  python3-gi gir1.2-gtk-4.0               # a GTK 4 application the end-to-end tests drive
  adwaita-icon-theme librsvg2-bin         # the icon reader's training smoke test: a theme, its SVGs' rasteriser
  # Qt (PySide6) on X11 needs these xcb libraries
  libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -c "import tkinter" 2>/dev/null || {
  echo "this Python has no tkinter (the bundled sample app needs it); set PYTHON=/usr/bin/python3" >&2
  exit 1
}
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
echo "desktop-agent installed in .venv"
