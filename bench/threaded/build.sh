#!/bin/sh
# build.sh BUILD -- builds the threaded benchmarks (bench/threaded/README.md)
# into BUILD/bench/threaded/:
#   kernels.wasm      kernels.c for wasm32 with atomics, importing a shared memory
#   native_threaded   driver.c + kernels.c natively (C11 atomics, futex)
#   weft_threaded     driver.c linked with BUILD/libweft.a
#   spawn.wasm        spawn.c for wasm32-wasi with the guest library
#                     (tests/guest/lib), run by BUILD/weft
#   spawn_native      spawn.c natively (pthread_create/pthread_join)
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

# spawn.c as a threaded WASI program, with the flags of tests/guest/CMakeLists.txt.
GUEST_LIB=$ROOT/tests/guest/lib
rm -f "$OUT/spawn.wasm"
# shellcheck disable=SC2086
if ! $CC_BENCH $CFLAGS --target=wasm32-wasi --sysroot="${BENCH_WASI_SYSROOT:-/usr}" \
        -g0 -matomics -mbulk-memory -Wno-unused-command-line-argument -I"$GUEST_LIB" \
        -nostartfiles -Wl,--shared-memory,--no-check-features,--max-memory=16777216 \
        -Wl,--wrap=malloc,--wrap=free,--wrap=calloc,--wrap=realloc \
        -Wl,--wrap=aligned_alloc,--wrap=posix_memalign \
        -o "$OUT/spawn.wasm" "$HERE/spawn.c" "$GUEST_LIB/thread_start.s" \
        "$GUEST_LIB/thread.c" "$GUEST_LIB/sync.c" "$GUEST_LIB/start.c" \
        >"$OUT/spawn_wasm.log" 2>&1; then
    echo "bench: spawn.wasm did not build (see $OUT/spawn_wasm.log)" >&2
fi
# shellcheck disable=SC2086
$CC_BENCH $CFLAGS -o "$OUT/spawn_native" "$HERE/spawn.c" -lpthread

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
