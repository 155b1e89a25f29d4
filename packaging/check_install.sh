#!/usr/bin/env bash
# Checks the two downloads packaging/build.sh made, used as a person would use them.
# - The portable archive, unpacked into a folder whose path has a space: its version and its self-test, run from
#   another working folder.
# - The .deb, installed with apt: the installed app's version, self-test, one epoch of training on the shipped
#   sample, and a recognition with the model it trained. Then the package is purged, and nothing of it may be
#   left in /opt or /usr.
# Needs root or sudo.
#   bash packaging/check_install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
say() { echo "check_install.sh: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

VERSION=$(python3 -c 'import re; print(re.search(r"^version\s*=\s*\"([^\"]+)\"", open("pyproject.toml").read(), re.M).group(1))')
DEB="dist/desktop-cvae_${VERSION}_$(dpkg --print-architecture).deb"
PORTABLE="dist/desktop-cvae-${VERSION}-linux-$(uname -m).tar.zst"
for f in "$DEB" "$PORTABLE"; do [ -f "$f" ] || fail "$f is missing: run bash packaging/build.sh first"; done
APP=/usr/bin/desktop-cvae   # by its path: a pip-installed desktop-cvae may come first on PATH
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Paths in /opt and /usr that were not there before the install and that no Debian package owns; caches that
# dpkg triggers rebuild for every package do not count.
snapshot() { find /opt /usr -xdev 2>/dev/null | sort; }
new_and_unowned() {
  snapshot | comm -13 "$WORK/before" - | while IFS= read -r path; do
    case "$path" in */mimeinfo.cache|*/icon-theme.cache) continue ;; esac
    dpkg -S "$path" >/dev/null 2>&1 || echo "$path"
  done
}

# --- the portable archive ----------------------------------------------------------------------------
mkdir -p "$WORK/unpacked here"
tar -C "$WORK/unpacked here" -I zstd -xf "$PORTABLE"
PORTABLE_APP="$WORK/unpacked here/desktop-cvae-$VERSION/desktop-cvae"
[ "$(cd / && "$PORTABLE_APP" --version)" = "desktop-cvae $VERSION" ] || fail "the unpacked app is not version $VERSION"
(cd / && QT_QPA_PLATFORM=offscreen "$PORTABLE_APP" --self-test > "$WORK/portable.json") \
  || fail "the unpacked app's self-test: $(cat "$WORK/portable.json")"
say "portable archive, unpacked and run from /: $(cat "$WORK/portable.json")"
rm -rf "$WORK/unpacked here"

# --- the .deb ------------------------------------------------------------------------------------------
# Its dependencies first, so that the before-and-after comparison is about the package alone: files a newly
# installed library brings may be known to dpkg only by their /lib alias on a merged-/usr system.
DEPS=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' | grep -v '^$')
# shellcheck disable=SC2086  # one package name a word
$SUDO apt-get install -y -qq --no-install-recommends $DEPS >/dev/null
snapshot > "$WORK/before"
$SUDO apt-get install -y -qq "./$DEB" >/dev/null
[ "$(readlink -f "$APP")" = /opt/desktop-cvae/desktop-cvae ] || fail "$APP does not lead to /opt/desktop-cvae"
[ -f /usr/share/applications/desktop-cvae.desktop ] || fail "no desktop entry"
[ -f /usr/share/icons/hicolor/256x256/apps/desktop-cvae.png ] || fail "no icon"
[ "$("$APP" --version)" = "desktop-cvae $VERSION" ] || fail "the installed app is not version $VERSION"
say "installed $DEB"

QT_QPA_PLATFORM=offscreen "$APP" --self-test > "$WORK/self-test.json" || fail "self-test: $(cat "$WORK/self-test.json")"
say "self-test: $(cat "$WORK/self-test.json")"

# One epoch on the shipped sample, offline; then the model it made reads a picture of a digit.
"$APP" train --arch mlp --epochs 1 --data sample --out "$WORK/one-epoch.keras" --json > "$WORK/train.json" \
  || fail "training through the installed app"
[ -s "$WORK/one-epoch.keras" ] || fail "training saved no model"
say "trained one epoch: $(cat "$WORK/train.json")"
python3 - "$WORK/digit.png" <<'EOF'
import sys
import numpy as np
from PIL import Image
with np.load("resources/mnist_sample.npz") as f:
    Image.fromarray(255 - f["x_test"][0]).resize((112, 112)).save(sys.argv[1])  # dark ink on paper, as a scan
EOF
"$APP" recognize --json --model "$WORK/one-epoch.keras" "$WORK/digit.png" > "$WORK/recognize.json" \
  || fail "recognition with the trained model: $(cat "$WORK/recognize.json")"
grep -q '"label"' "$WORK/recognize.json" || fail "no label in $(cat "$WORK/recognize.json")"
say "recognised with it: $(cut -c1-120 "$WORK/recognize.json")"

dpkg -L desktop-cvae > "$WORK/files"
$SUDO apt-get purge -y -qq desktop-cvae >/dev/null
[ ! -e /opt/desktop-cvae ] || fail "/opt/desktop-cvae is still there"
while IFS= read -r path; do
  [ -d "$path" ] && [ ! -L "$path" ] && continue  # folders other packages share (/usr/share/applications...)
  if [ -e "$path" ] || [ -L "$path" ]; then fail "$path is still there after removal"; fi
done < "$WORK/files"
left=$(new_and_unowned)
[ -z "$left" ] || fail "left behind in /opt or /usr: $left"
say "removed: nothing of it is left in /opt or /usr"
