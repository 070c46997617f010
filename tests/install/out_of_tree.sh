#!/bin/sh
# out_of_tree.sh BUILD_DIR -- installs a build into a temporary prefix
# (`cmake --install BUILD_DIR --prefix ...`, what `make install` runs) and
# checks what an embedder finds there: the command, libweft.so with its SONAME
# and links, libweft.a, the headers, weft.pc and the CMake package; then builds
# the programs of consumers.txt from outside the tree with pkg-config and with
# find_package(weft) and runs them (checks.sh).  KEEP=1 keeps the prefix.
set -u
BUILD=$(cd "$1" && pwd) || exit 1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
if [ "${KEEP:-}" = 1 ]; then echo "kept: $TMP"; else trap 'rm -rf "$TMP"' EXIT; fi
. "$SRC/tests/install/checks.sh"
install_settings

PREFIX=$TMP/prefix
if ! cmake --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" 2>&1; then
    cat "$TMP/install.log"
    echo "FAIL: cmake --install $BUILD --prefix $PREFIX"
    exit 1
fi
check_tree "$PREFIX"
check_command "$PREFIX"
check_consumers "$PREFIX"
finish
