#!/usr/bin/env bash
# Builds Desktop CVAE's two Linux downloads into dist/, from a checkout:
#   dist/desktop-cvae_<version>_<arch>.deb              sudo apt install ./desktop-cvae_<version>_<arch>.deb
#   dist/desktop-cvae-<version>-linux-<machine>.tar.zst  unpack anywhere; run desktop-cvae-<version>/desktop-cvae
# Both hold the PyInstaller folder (packaging/desktop_cvae.spec), which it builds first; the version is
# pyproject.toml's. Needs Python with pip on Debian or Ubuntu: binutils, dpkg-dev, xz-utils, zstd and the
# libraries Qt's plugins link are installed here with apt-get when missing.
#   bash packaging/build.sh [--reuse-bundle]    (--reuse-bundle: package dist/desktop-cvae as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
REUSE_BUNDLE=0
[ "${1:-}" = "--reuse-bundle" ] && REUSE_BUNDLE=1

say() { echo "build.sh: $*" >&2; }

# --- tools, and the system libraries the bundle links -------------------------------------------------
missing=()
for tool_package in strip:binutils readelf:binutils dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev zstd:zstd xz:xz-utils; do
  command -v "${tool_package%%:*}" >/dev/null 2>&1 || missing+=("${tool_package#*:}")
done
# Qt's X11 and Wayland plugins link these (Qt's own list for X11, plus GL, EGL and Wayland). The build must find
# them: PyInstaller resolves the plugins' libraries, and dpkg-shlibdeps turns them into the .deb's Depends.
QT_RUNTIME="libgl1 libegl1 libdbus-1-3 libfontconfig1 libglib2.0-0 libwayland-client0 libwayland-cursor0 libx11-xcb1
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 fonts-dejavu-core"
for package in $QT_RUNTIME; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || { say "missing tools: install ${missing[*]}"; exit 1; }
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

VERSION=$(python3 - <<'EOF'
import re
with open("pyproject.toml", encoding="utf-8") as f:
    print(re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.MULTILINE).group(1))
EOF
)
ARCH=$(dpkg --print-architecture)   # amd64: Debian's name
MACHINE=$(uname -m)                 # x86_64: the kernel's, as portable archives name it
DEB="dist/desktop-cvae_${VERSION}_${ARCH}.deb"
PORTABLE="dist/desktop-cvae-${VERSION}-linux-${MACHINE}.tar.zst"

# --- the PyInstaller folder --------------------------------------------------------------------------
if [ "$REUSE_BUNDLE" = 0 ]; then
  # (Re)install, so that the package metadata the bundle carries has pyproject.toml's version.
  python3 -m pip install --quiet -e ".[package]"
  pyinstaller --noconfirm --log-level WARN packaging/desktop_cvae.spec
fi
BUNDLE=dist/desktop-cvae
built=$("$BUNDLE/desktop-cvae" --version)
[ "$built" = "desktop-cvae $VERSION" ] || { say "the bundle says '$built', pyproject.toml $VERSION: rebuild it"; exit 1; }

# Every archive is made from a staging tree of hard links, owned by root, dated by the last commit, so that
# the same bundle gives the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
STAGE=build/packages
rm -rf "$STAGE"
mkdir -p "$STAGE"
umask 022

# --- .deb --------------------------------------------------------------------------------------------
ROOT="$PWD/$STAGE/deb"   # absolute: dpkg-shlibdeps runs in a folder of its own
mkdir -p "$ROOT/DEBIAN" "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications" \
         "$ROOT/usr/share/icons/hicolor/256x256/apps" "$ROOT/usr/share/doc/desktop-cvae"
cp -al "$BUNDLE" "$ROOT/opt/desktop-cvae"
# PyInstaller's bootloader finds its _internal folder through /proc/self/exe, so a link is enough.
ln -s /opt/desktop-cvae/desktop-cvae "$ROOT/usr/bin/desktop-cvae"
install -m644 packaging/desktop-cvae.desktop "$ROOT/usr/share/applications/desktop-cvae.desktop"
install -m644 resources/icons/desktop-cvae.png "$ROOT/usr/share/icons/hicolor/256x256/apps/desktop-cvae.png"
install -m644 packaging/deb/copyright "$ROOT/usr/share/doc/desktop-cvae/copyright"

# Depends: the system libraries the bundle links but does not carry (libGL, libEGL, libc...), by
# dpkg-shlibdeps from the installed packages' own shlibs and symbols files, with their least versions;
# plus a font, without which Qt draws no text. It fails if a linked library is on no installed package.
ELF_FILES=()
while IFS= read -r -d '' f; do
  [ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = "177ELF" ] && ELF_FILES+=("$f")
done < <(find "$ROOT/opt/desktop-cvae" -type f \( -name '*.so*' -o -name desktop-cvae \) -print0)
LIB_DIRS=$(printf '%s\n' "${ELF_FILES[@]}" | xargs -n1 dirname | sort -u | sed 's/^/-l/')
mkdir -p "$STAGE/shlibdeps/debian"
printf 'Source: desktop-cvae\n\nPackage: desktop-cvae\nArchitecture: any\n' > "$STAGE/shlibdeps/debian/control"
# --ignore-missing-info: the bundle's own libraries come from no Debian package, by design.
SHLIBS=$(cd "$STAGE/shlibdeps" && dpkg-shlibdeps -O --ignore-missing-info --warnings=0 $LIB_DIRS "${ELF_FILES[@]/#/-e}")
DEPENDS="${SHLIBS#shlibs:Depends=}, fonts-dejavu-core | fonts-freefont-ttf | fonts-liberation2"
INSTALLED_SIZE=$(du -sk --apparent-size "$ROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$INSTALLED_SIZE/" \
    -e "s/@DEPENDS@/$DEPENDS/" packaging/deb/control.in > "$ROOT/DEBIAN/control"
chmod -R u+rwX,go+rX,go-w "$ROOT"   # readable by every user, whatever the umask the bundle was built under
find "$ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
say "packing $DEB (xz -9, a few minutes)"
# xz: every dpkg reads it (zstd members need dpkg >= 1.21.18), and it makes the smaller file here.
dpkg-deb --root-owner-group -Zxz -z9 --threads-max="$(nproc)" --build "$ROOT" "$DEB" >/dev/null

# --- portable .tar.zst -------------------------------------------------------------------------------
NAME="desktop-cvae-$VERSION"
mkdir -p "$STAGE/portable"
cp -al "$BUNDLE" "$STAGE/portable/$NAME"
install -m644 packaging/desktop-cvae.desktop resources/icons/desktop-cvae.png "$STAGE/portable/$NAME/"
cat > "$STAGE/portable/$NAME/README.txt" <<EOF
Desktop CVAE $VERSION, portable build for Linux ($MACHINE).

Run it from wherever this folder lies:   ./desktop-cvae            (the app)
                                          ./desktop-cvae --help     (the command line)
                                          ./desktop-cvae --self-test

Needs a desktop Linux with glibc, OpenGL/EGL libraries (libgl1, libegl1) and a font; on a bare Debian or
Ubuntu: sudo apt install libgl1 libegl1 fonts-dejavu-core. For a menu entry, copy desktop-cvae.desktop to
~/.local/share/applications (its Exec= names desktop-cvae: put this folder's desktop-cvae on your PATH) and
desktop-cvae.png to ~/.local/share/icons/hicolor/256x256/apps.
EOF
say "packing $PORTABLE (zstd -19, a few minutes)"
# --long=27: matches across 128 MB, the most any zstd decompresses without being told to allow more.
tar -C "$STAGE/portable" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -cf - "$NAME" | zstd -19 --long=27 -T0 -q -f -o "$PORTABLE"

rm -rf "$STAGE"
for f in "$DEB" "$PORTABLE"; do
  say "$f: $(stat -c %s "$f" | awk '{printf "%.1f MB (%.1f MiB)", $1 / 1e6, $1 / 1048576}')"
done
