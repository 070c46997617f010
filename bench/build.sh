#!/bin/sh
# build.sh BUILD -- compiles every kernel in bench/kernels/ three ways into
# BUILD/bench/:
#   wasm/NAME.wasm   clang-19 --target=wasm32, freestanding, bulk memory, exports run
#                    (simd_* kernels: -msimd128 too)
#   native/NAME      clang-19 -O2 for this machine's CPU baseline, with native_main.c
#   weft_bench       the in-process weft runner, linked with BUILD/libweft.a
# The same optimisation flags go to both targets, so both get the same LLVM
# optimisations of the same source.  A weft_bench that does not build is not an
# error here: bench.py then reports the weft column as n/a with the reason
# (BUILD/bench/weft_bench.log).
set -eu

BUILD=${1:?usage: bench/build.sh BUILD}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT=$BUILD/bench
CC_BENCH=${BENCH_CC:-clang-19}

# -fno-math-errno: sqrt becomes one instruction natively, as f64.sqrt is in wasm.
CFLAGS="-O2 -fno-math-errno -Wall -Wextra -Werror"
WASM_FLAGS="--target=wasm32 -ffreestanding -nostdlib -mbulk-memory
            -Wl,--no-entry -Wl,--export=run -Wl,--strip-debug"

mkdir -p "$OUT/wasm" "$OUT/native"

for src in "$HERE"/kernels/*.c; do
    name=$(basename "$src" .c)
    # simd_* kernels use 128-bit vector types: wasm SIMD for them only (the
    # others must not be auto-vectorised, to stay comparable across runs).
    simd=""
    case $name in simd_*) simd="-msimd128" ;; esac
    # shellcheck disable=SC2086
    $CC_BENCH $CFLAGS $WASM_FLAGS $simd -o "$OUT/wasm/$name.wasm" "$src"
    # shellcheck disable=SC2086
    $CC_BENCH $CFLAGS -o "$OUT/native/$name" "$src" "$HERE/native_main.c"
done

rm -f "$OUT/weft_bench"
if [ -f "$BUILD/libweft.a" ]; then
    # shellcheck disable=SC2086
    if ! $CC_BENCH -O2 -Wall -Wextra -I"$ROOT/include" -o "$OUT/weft_bench" \
            "$HERE/weft_main.c" "$BUILD/libweft.a" -lpthread -lm >"$OUT/weft_bench.log" 2>&1; then
        echo "bench: weft_bench did not link (see $OUT/weft_bench.log)" >&2
    fi
else
    echo "$BUILD/libweft.a not found: build weft first (make build)" >"$OUT/weft_bench.log"
fi
