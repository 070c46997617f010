# checks.sh -- what an installed weft must give its users, sourced by the
# install tests (out_of_tree.sh: a `cmake --install` tree; deb.sh: the Debian
# packages extracted).  The caller sets BUILD (the build folder), SRC (the
# source tree) and TMP (a scratch folder it removes), then calls
# install_settings once and the check_* functions on an install prefix;
# `finish` exits 1 if any check failed.  POSIX sh.

fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
finish() {
    if [ "$fails" != 0 ]; then
        echo "$fails check(s) failed"
        exit 1
    fi
    echo "all checks passed"
}

# cache_value NAME: a variable of the build's CMake cache.
cache_value() {
    sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"
}

# The layout and compiler the build was configured with, and the version of
# CMakeLists.txt's project(), the version's one place.
install_settings() {
    CC=$(cache_value CMAKE_C_COMPILER)
    BINDIR=$(cache_value CMAKE_INSTALL_BINDIR)
    LIBDIR=$(cache_value CMAKE_INSTALL_LIBDIR)
    INCLUDEDIR=$(cache_value CMAKE_INSTALL_INCLUDEDIR)
    VERSION=$(sed -n 's/^project(weft VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
    MAJOR=${VERSION%%.*}
    if [ -z "$CC" ] || [ -z "$LIBDIR" ] || [ -z "$VERSION" ]; then
        echo "cannot read the build's settings from $BUILD/CMakeCache.txt and $SRC/CMakeLists.txt"
        exit 1
    fi
}

# check_tree PREFIX: the files, the library's links and SONAME, the exported
# symbols, the headers.
check_tree() {
    p=$1 lib=$1/$LIBDIR
    [ -x "$p/$BINDIR/weft" ] || fail "no $BINDIR/weft"
    if [ ! -f "$lib/libweft.so.$VERSION" ] || [ -L "$lib/libweft.so.$VERSION" ]; then
        fail "no file $LIBDIR/libweft.so.$VERSION"
    fi
    [ "$(readlink "$lib/libweft.so.$MAJOR")" = "libweft.so.$VERSION" ] ||
        fail "$LIBDIR/libweft.so.$MAJOR is not a link to libweft.so.$VERSION"
    [ "$(readlink "$lib/libweft.so")" = "libweft.so.$MAJOR" ] ||
        fail "$LIBDIR/libweft.so is not a link to libweft.so.$MAJOR"
    [ -f "$lib/libweft.a" ] || fail "no $LIBDIR/libweft.a"
    soname=$(objdump -p "$lib/libweft.so.$VERSION" | awk '$1 == "SONAME" { print $2 }')
    [ "$soname" = "libweft.so.$MAJOR" ] || fail "SONAME '$soname', want libweft.so.$MAJOR"
    # Only the public API leaves the shared library (hidden visibility).
    others=$(nm -D --defined-only "$lib/libweft.so.$VERSION" | awk '{ print $3 }' |
        grep -Ev '^(weft_|wasm_)' | head -n 5)
    [ -z "$others" ] || fail "libweft.so exports non-API symbols: $others"
    nm -D --defined-only "$lib/libweft.so.$VERSION" | grep -q ' T weft_version$' ||
        fail "libweft.so does not export weft_version"
    for h in "$SRC"/include/*.h; do
        cmp -s "$h" "$p/$INCLUDEDIR/${h##*/}" || fail "$INCLUDEDIR/${h##*/} missing or different"
    done
    [ -f "$lib/pkgconfig/weft.pc" ] || fail "no $LIBDIR/pkgconfig/weft.pc"
    for f in weftConfig.cmake weftConfigVersion.cmake weftTargets.cmake; do
        [ -f "$lib/cmake/weft/$f" ] || fail "no $LIBDIR/cmake/weft/$f"
    done
}

# check_command PREFIX: the installed command's version, and a wasm it runs.
check_command() {
    weft=$1/$BINDIR/weft
    out=$("$weft" --version) || fail "$weft --version: status $?"
    [ "$out" = "weft $VERSION" ] || fail "$weft --version: '$out', want 'weft $VERSION'"
    out=$("$weft" run --invoke count_primes "$SRC/examples/hello.wasm" 100000) ||
        fail "$weft run: status $?"
    [ "$out" = "i32:9592" ] || fail "$weft run --invoke count_primes: '$out', want 'i32:9592'"
}

# uses_library LD_LIBRARY_PATH BINARY PREFIX: the libweft.so.MAJOR BINARY
# loads is PREFIX's (PREFIX empty: it must load none, for a static build).
uses_library() {
    got=$(env LD_LIBRARY_PATH="$1" ldd "$2" | awk '$1 ~ /^libweft\.so/ { print $3 }')
    want=
    [ -n "$3" ] && want=$(realpath "$3/$LIBDIR/libweft.so.$MAJOR")
    [ -z "$got" ] || got=$(realpath "$got")
    [ "$got" = "$want" ] || fail "$2 loads libweft from '$got', want '$want'"
}

# run_consumer LD_LIBRARY_PATH BINARY EXPECTED ARGS...: runs it, wants
# status 0 and a line containing EXPECTED.
run_consumer() {
    ld_path=$1 bin=$2 expected=$3
    shift 3
    echo "run $bin $*"
    env LD_LIBRARY_PATH="$ld_path" "$bin" "$@" </dev/null >"$TMP/consumer.out" 2>&1
    rc=$?
    if [ "$rc" != 0 ]; then
        fail "$bin $*: status $rc"
        cat "$TMP/consumer.out"
    elif ! grep -qF -- "$expected" "$TMP/consumer.out"; then
        fail "$bin $*: no line with '$expected' in its output"
        cat "$TMP/consumer.out"
    fi
}

# check_consumers PREFIX: builds every program of consumers.txt from a copy
# outside the tree, with pkg-config and with find_package(weft), against the
# shared and the static library, and runs each; then the version of weft.h
# and libweft.so against CMakeLists.txt's.
check_consumers() {
    p=$1 out=$TMP/consumers
    rm -rf "$out"
    mkdir -p "$out/src" "$out/pc"
    # The list without comments and blank lines, @BUILD@ replaced.
    grep -v -e '^#' -e '^ *$' "$SRC/tests/install/consumers.txt" | sed "s|@BUILD@|$BUILD|g" >"$out/list"
    names=$(cut -d '|' -f 1 "$out/list" | tr -d ' ')
    for name in $names; do
        cp "$SRC/examples/$name.c" "$out/src/"
    done
    cat >"$out/src/version.c" <<'EOF'
#include <stdio.h>
#include <weft.h>
int main(void) { printf("weft %s\n", weft_version()); return 0; }
EOF

    # pkg-config: only this prefix's weft.pc (PKG_CONFIG_LIBDIR replaces the
    # default search path).
    pc() { PKG_CONFIG_LIBDIR=$p/$LIBDIR/pkgconfig pkg-config "$@"; }
    [ "$(pc --modversion weft)" = "$VERSION" ] || fail "pkg-config --modversion weft: '$(pc --modversion weft)'"
    static_libs=$(pc --static --libs weft)
    for l in -lweft -lpthread -lm; do
        case " $static_libs " in
        *" $l "*) ;;
        *) fail "pkg-config --static --libs weft: '$static_libs' has no $l" ;;
        esac
    done
    case " $(pc --libs weft) " in
    *" -lpthread "*) fail "pkg-config --libs weft (shared) has -lpthread" ;;
    esac
    libdir=$(pc --variable=libdir weft)
    # -O2: some of a header's warnings (-Wstringop-overread) show only when
    # optimizing, as embedders build.
    for name in $names version; do
        # shellcheck disable=SC2046
        "$CC" -O2 -Wall -Wextra -Werror -pthread -o "$out/pc/$name" "$out/src/$name.c" \
            $(pc --cflags --libs weft) || fail "cc $name.c \$(pkg-config --cflags --libs weft)"
        # The static library through --static's flags, -lweft taken as the archive.
        flags=""
        for f in $static_libs; do
            [ "$f" = -lweft ] && f=-l:libweft.a
            flags="$flags $f"
        done
        # shellcheck disable=SC2046,SC2086
        "$CC" -O2 -Wall -Wextra -Werror -pthread -o "$out/pc/$name-static" "$out/src/$name.c" \
            $(pc --cflags weft) $flags || fail "cc $name.c with pkg-config --static"
    done

    # find_package(weft): the package's version file refuses another major
    # version, accepts this one.
    cp "$SRC/tests/install/consumer/CMakeLists.txt" "$out/src/"
    cmake_consumer() { # BINARY_DIR WANT
        # shellcheck disable=SC2086
        cmake -S "$out/src" -B "$1" -DCMAKE_C_COMPILER="$CC" -DCMAKE_PREFIX_PATH="$p" \
            -DCONSUMER_SRC="$out/src" -DCONSUMERS="$(echo $names version | tr ' ' ';')" \
            -DWEFT_WANT="$2" >"$1.log" 2>&1
    }
    if cmake_consumer "$out/cmake-next" "$((MAJOR + 1)).0"; then
        fail "find_package(weft $((MAJOR + 1)).0) accepted weft $VERSION"
    fi
    if ! cmake_consumer "$out/cmake" "$VERSION" || ! cmake --build "$out/cmake" >>"$out/cmake.log" 2>&1; then
        fail "the find_package(weft) project does not build"
        cat "$out/cmake.log"
    fi
    found=$(sed -n 's/^weft_DIR:[A-Z]*=//p' "$out/cmake/CMakeCache.txt")
    [ "$(realpath "$found")" = "$(realpath "$p/$LIBDIR/cmake/weft")" ] ||
        fail "find_package(weft) found '$found', not this prefix's"

    # Run all four builds of each program.  The pkg-config builds find
    # libweft.so through LD_LIBRARY_PATH, the CMake ones through the run path
    # CMake gives them.
    while IFS='|' read -r name args expected; do
        name=$(echo "$name" | tr -d ' ')
        expected=$(echo "$expected" | sed 's/^ *//; s/ *$//')
        # shellcheck disable=SC2086
        {
            run_consumer "$libdir" "$out/pc/$name" "$expected" $args
            run_consumer "" "$out/pc/$name-static" "$expected" $args
            run_consumer "" "$out/cmake/$name" "$expected" $args
            run_consumer "" "$out/cmake/$name-static" "$expected" $args
        }
        uses_library "$libdir" "$out/pc/$name" "$p"
        uses_library "" "$out/pc/$name-static" ""
        uses_library "" "$out/cmake/$name" "$p"
        uses_library "" "$out/cmake/$name-static" ""
    done <"$out/list"
    for bin in pc/version pc/version-static cmake/version cmake/version-static; do
        got=$(env LD_LIBRARY_PATH="$libdir" "$out/$bin")
        [ "$got" = "weft $VERSION" ] || fail "$bin: weft_version() gave '$got', want 'weft $VERSION'"
    done
}
