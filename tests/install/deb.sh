#!/bin/sh
# deb.sh BUILD_DIR -- the Debian packages of `make deb`: runs cpack -G DEB on
# the build (into a temporary folder), checks each package's control fields
# (dependencies, maintainer, description) and which files it holds, extracts
# both with `dpkg -x` into a scratch root and checks that root as an install
# prefix (root/usr): the command, the library, and the programs of
# consumers.txt built against it with pkg-config and find_package(weft)
# (checks.sh; weft.pc and the CMake package are relocatable, so the extracted
# files are used where they lie).  KEEP=1 keeps the scratch folder.
set -u
BUILD=$(cd "$1" && pwd) || exit 1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
if [ "${KEEP:-}" = 1 ]; then echo "kept: $TMP"; else trap 'rm -rf "$TMP"' EXIT; fi
. "$SRC/tests/install/checks.sh"
install_settings

if ! cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$TMP/packages" >"$TMP/cpack.log" 2>&1; then
    cat "$TMP/cpack.log"
    echo "FAIL: cpack -G DEB"
    exit 1
fi
ARCH=$(dpkg --print-architecture)
RUNTIME=$TMP/packages/weft_${VERSION}_$ARCH.deb
DEV=$TMP/packages/libweft-dev_${VERSION}_$ARCH.deb
for deb in "$RUNTIME" "$DEV"; do
    [ -f "$deb" ] || { echo "FAIL: no ${deb##*/} (cpack made: $(ls "$TMP/packages"))"; exit 1; }
done

# field DEB NAME: one control field.
field() { dpkg-deb -f "$1" "$2"; }
for deb in "$RUNTIME" "$DEV"; do
    dpkg-deb -I "$deb"
    [ "$(field "$deb" Version)" = "$VERSION" ] || fail "${deb##*/}: Version '$(field "$deb" Version)'"
    [ "$(field "$deb" Architecture)" = "$ARCH" ] || fail "${deb##*/}: Architecture"
    field "$deb" Maintainer | grep -q '^[^<]\+ <[^>]\+@[^>]\+>$' ||
        fail "${deb##*/}: Maintainer '$(field "$deb" Maintainer)' is not 'NAME <ADDRESS>'"
    [ "$(field "$deb" Description | wc -l)" -ge 2 ] ||
        fail "${deb##*/}: no synopsis and long description"
done
[ "$(field "$RUNTIME" Package)" = weft ] || fail "the runtime package is not named weft"
[ "$(field "$DEV" Package)" = libweft-dev ] || fail "the development package is not named libweft-dev"
# weft: libc6, from dpkg-shlibdeps; libweft-dev: the weft of its version.
field "$RUNTIME" Depends | grep -q '^libc6 (>= [0-9.]*)' ||
    fail "weft: Depends '$(field "$RUNTIME" Depends)', want libc6 (>= ...)"
field "$DEV" Depends | grep -qF "weft (= $VERSION)" ||
    fail "libweft-dev: Depends '$(field "$DEV" Depends)', want weft (= $VERSION)"
# weft declares its library for other packages' dpkg-shlibdeps.
[ "$(dpkg-deb -I "$RUNTIME" shlibs)" = "libweft $MAJOR weft (>= $VERSION)" ] ||
    fail "weft: shlibs '$(dpkg-deb -I "$RUNTIME" shlibs)'"

# Which package holds what: the command and the run-time library in weft,
# everything for building in libweft-dev, nothing in both.
dpkg-deb -c "$RUNTIME" | awk '{ print $6 }' | sort >"$TMP/runtime.files"
dpkg-deb -c "$DEV" | awk '{ print $6 }' | sort >"$TMP/dev.files"
for f in "usr/$BINDIR/weft" "usr/$LIBDIR/libweft.so.$MAJOR" "usr/$LIBDIR/libweft.so.$VERSION"; do
    grep -qx "./$f" "$TMP/runtime.files" || fail "weft does not hold /$f"
done
for f in "usr/$INCLUDEDIR/weft.h" "usr/$LIBDIR/libweft.a" "usr/$LIBDIR/libweft.so" \
    "usr/$LIBDIR/pkgconfig/weft.pc" "usr/$LIBDIR/cmake/weft/weftConfig.cmake"; do
    grep -qx "./$f" "$TMP/dev.files" || fail "libweft-dev does not hold /$f"
done
both=$(comm -12 "$TMP/runtime.files" "$TMP/dev.files" | grep -v '/$')
[ -z "$both" ] || fail "files in both packages: $both"

ROOT=$TMP/root
if ! dpkg -x "$RUNTIME" "$ROOT" || ! dpkg -x "$DEV" "$ROOT"; then
    echo "FAIL: dpkg -x"
    exit 1
fi
check_tree "$ROOT/usr"
check_command "$ROOT/usr"
check_consumers "$ROOT/usr"
finish
