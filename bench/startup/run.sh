#!/bin/sh
# run.sh BUILD -- the startup benchmark (part of `make bench`): generates the
# large module (gen_module.c) into BUILD/bench/startup/, checks that it is
# valid (wabt's wasm-validate and Node.js, when installed), then times weft
# (startup_main.c, linked with BUILD/libweft.a) and Node.js (run_node.mjs).
#
# Prints "startup: X s (target < 0.5 s)" -- X is weft_module_new +
# weft_instance_new, the best of STARTUP_REPEAT rounds -- and writes a Markdown
# section to BUILD/bench/startup/results.md, which bench.py appends to its
# results.  Exit status 1 when the module is invalid or weft fails on it.
#
# Knobs: STARTUP_REPEAT (rounds, default 5), STARTUP_SEED (default 0x5EED),
# STARTUP_FUNCS (default 18000), BENCH_CC (default clang-19, else cc).
set -eu
BUILD=${1:?usage: bench/startup/run.sh BUILD}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
OUT=$BUILD/bench/startup
REPEAT=${STARTUP_REPEAT:-5}
SEED=${STARTUP_SEED:-0x5EED}
FUNCS=${STARTUP_FUNCS:-18000}
CC_BENCH=${BENCH_CC:-clang-19}
command -v "$CC_BENCH" >/dev/null 2>&1 || CC_BENCH=cc
TARGET=0.5

mkdir -p "$OUT"
MODULE=$OUT/big.wasm
RESULTS=$OUT/results.md
rm -f "$RESULTS"

$CC_BENCH -O2 -Wall -Wextra -Werror -o "$OUT/gen_module" "$HERE/gen_module.c"
"$OUT/gen_module" "$MODULE" "$SEED" "$FUNCS"

if command -v wasm-validate >/dev/null 2>&1; then
    wasm-validate "$MODULE" >"$OUT/wasm-validate.log" 2>&1 || {
        echo "startup: wasm-validate rejects the generated module (see $OUT/wasm-validate.log)" >&2
        exit 1
    }
fi

node_line="node: not installed"
node_ready=""
if command -v node >/dev/null 2>&1; then
    if node "$HERE/run_node.mjs" "$MODULE" "$REPEAT" >"$OUT/node.txt" 2>"$OUT/node.log"; then
        node_ready=$(awk '$1=="module_new"{m=$2} $1=="instance_new"{i=$2} END{printf "%.4f", m+i}' "$OUT/node.txt")
        node_line="node: ready in $node_ready s"
    else
        echo "startup: node failed on the generated module (see $OUT/node.log)" >&2
        exit 1
    fi
fi

if [ ! -f "$BUILD/libweft.a" ]; then
    echo "startup: $BUILD/libweft.a not found: build weft first (make build)" >&2
    exit 1
fi
$CC_BENCH -O2 -Wall -Wextra -Werror -I"$ROOT/include" -o "$OUT/startup_bench" \
    "$HERE/startup_main.c" "$BUILD/libweft.a" -lpthread -lm
"$OUT/startup_bench" -q "$MODULE" "$REPEAT" >"$OUT/weft.txt"

get() { awk -v k="$2" '$1==k{print $2}' "$1"; }
weft_ready=$(awk '$1=="module_new"{m=$2} $1=="instance_new"{i=$2} END{printf "%.4f", m+i}' "$OUT/weft.txt")
size=$(wc -c <"$MODULE" | tr -d ' ')

{
    echo "## Startup"
    echo
    echo "A generated module of $size bytes, $FUNCS functions (bench/startup/gen_module.c," \
         "seed $SEED): seconds until it is ready to run, best of $REPEAT rounds."
    echo
    echo "| stage | weft s | node s |"
    echo "|---|---:|---:|"
    for k in module_new instance_new first_small first_run; do
        n="n/a"
        [ -f "$OUT/node.txt" ] && n=$(get "$OUT/node.txt" $k)
        echo "| $k | $(get "$OUT/weft.txt" $k) | $n |"
    done
    echo "| **ready** (module_new + instance_new) | **$weft_ready** | ${node_ready:-n/a} |"
    echo "| every function translated (weft_module_prepare, tier interp) |" \
         "$(get "$OUT/weft.txt" prepare_interp) | |"
    echo "| every function compiled (weft_module_prepare, tier jit) |" \
         "$(get "$OUT/weft.txt" prepare_jit) | |"
    if [ -f "$OUT/node.txt" ]; then
        echo "| every body validated (weft: module_new; node: WebAssembly.validate) |" \
             "$(get "$OUT/weft.txt" module_new) | $(get "$OUT/node.txt" validate) |"
    fi
    echo
    w=$(get "$OUT/weft.txt" checksum)
    n=$( [ -f "$OUT/node.txt" ] && get "$OUT/node.txt" checksum || echo "")
    if [ -n "$n" ] && [ "$w" != "$n" ]; then
        echo "Warning: run() returned $w in weft but $n in Node.js."
        echo
    fi
    echo "startup: $weft_ready s (target < $TARGET s)"
} >"$RESULTS"

cat "$OUT/weft.txt" | sed 's/^/startup: weft /' >&2
[ -f "$OUT/node.txt" ] && sed 's/^/startup: node /' "$OUT/node.txt" >&2
echo "startup: $node_line" >&2
echo "startup: $weft_ready s (target < $TARGET s)"
