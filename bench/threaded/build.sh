#!/bin/sh
# build.sh BUILD -- builds the threaded benchmarks (bench/threaded/README.md)
# into BUILD/bench/threaded/:
#   kernels.wasm      kernels.c for wasm32 with atomics, importing a shared memory
#   native_threaded   driver.c + kernels.c natively (C11 atomics, futex)
#   weft_threaded     driver.c linked with BUILD/libweft.a
#   spawn.wasm        spawn.c for wasm32-wasi with the guest library
#                     (tests/guest/lib), run by BUILD/weft
#   spawn_native      spawn.c natively (pthread_create/pthread_join)
#   grow_stress.wasm  examples/grow_stress.c the same way, run by BUILD/weft
#   grow_native       examples/grow_stress.c natively (pthreads, mmap/mprotect)
# Same compiler and -O2 for both targets.  A weft_threaded that does not build
# is not an error here: threaded.py reports weft as n/a with the reason
# (weft_threaded.log).
set -eu

BUILD=${1:?usage: bench/threaded/build.sh BUILD}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
OUT=$BUILD/bench/threaded
CC_BENCH=${BENCH_CC:-clang-19}
CFLAGS="-O2 -Wall -Wextra -Werror"

mkdir -p "$OUT"
# A freestanding module that imports its memory, shared, at most 16 pages.
# shellcheck disable=SC2086
$CC_BENCH $CFLAGS --target=wasm32 -ffreestanding -nostdlib -matomics -mbulk-memory \
    -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=1048576 \
    -Wl,--strip-debug -o "$OUT/kernels.wasm" "$HERE/kernels.c"
# shellcheck disable=SC2086
$CC_BENCH $CFLAGS -DTHREADED_NATIVE -o "$OUT/native_threaded" \
    "$HERE/driver.c" "$HERE/kernels.c" -lpthread

# guest_wasm NAME SOURCE MAX_MEMORY [LINK_FLAG...]: a threaded WASI program
# with the guest library and the flags of tests/guest/CMakeLists.txt, into
# $OUT/NAME.wasm; a failure is noted in NAME_wasm.log, not fatal.
GUEST_LIB=$ROOT/tests/guest/lib
guest_wasm() {
    name=$1 src=$2 max=$3
    shift 3
    rm -f "$OUT/$name.wasm"
    # shellcheck disable=SC2086
    if ! $CC_BENCH $CFLAGS --target=wasm32-wasi --sysroot="${BENCH_WASI_SYSROOT:-/usr}" \
            -g0 -matomics -mbulk-memory -Wno-unused-command-line-argument -I"$GUEST_LIB" \
            -nostartfiles -Wl,--shared-memory,--no-check-features,--max-memory="$max" \
            -Wl,--wrap=malloc,--wrap=free,--wrap=calloc,--wrap=realloc \
            -Wl,--wrap=aligned_alloc,--wrap=posix_memalign "$@" \
            -o "$OUT/$name.wasm" "$src" "$GUEST_LIB/thread_start.s" \
            "$GUEST_LIB/thread.c" "$GUEST_LIB/sync.c" "$GUEST_LIB/start.c" \
            >"$OUT/${name}_wasm.log" 2>&1; then
        echo "bench: $name.wasm did not build (see $OUT/${name}_wasm.log)" >&2
    fi
}
guest_wasm spawn "$HERE/spawn.c" 16777216
# shellcheck disable=SC2086
$CC_BENCH $CFLAGS -o "$OUT/spawn_native" "$HERE/spawn.c" -lpthread
# examples/grow_stress.c, with the link flags of its ctest build.
guest_wasm grow_stress "$ROOT/examples/grow_stress.c" 2147483648 -Wl,--initial-memory=8388608
# shellcheck disable=SC2086
$CC_BENCH $CFLAGS -o "$OUT/grow_native" "$ROOT/examples/grow_stress.c" -lpthread

rm -f "$OUT/weft_threaded"
if [ -f "$BUILD/libweft.a" ]; then
    # shellcheck disable=SC2086
    if ! $CC_BENCH $CFLAGS -I"$ROOT/include" -o "$OUT/weft_threaded" "$HERE/driver.c" \
            "$BUILD/libweft.a" -lpthread -lm >"$OUT/weft_threaded.log" 2>&1; then
        echo "bench: weft_threaded did not link (see $OUT/weft_threaded.log)" >&2
    fi
else
    echo "$BUILD/libweft.a not found: build weft first (make build)" >"$OUT/weft_threaded.log"
fi
