#!/bin/sh
# fuzz_diff.sh FUZZ_EXEC SOURCE_DIR [FIRST COUNT] -- differential test of weft
# against Node.js (V8) on modules made by binaryen's `wasm-opt -ttf` from
# seeded random bytes (seed_bytes.mjs), features: threads, multivalue,
# reference types, bulk memory, sign extension, non-trapping conversions,
# mutable globals (WebAssembly 2.0 without SIMD, plus threads).  Each module
# runs as binaryen's --fuzz-exec runs it (fuzz_exec.c on weft, in both bounds
# modes; fuzz_exec.mjs on Node): every export in order in one instance, with
# the logs, results and traps compared call by call (fuzz_compare.awk).
#
# Modules are made with --denan (NaN bits are nondeterministic; see README.md).
# Debian's binaryen 108 models reference types before their standard form
# (funcref a subtype of its anyref, which it writes as externref): most of
# its reference-types modules are invalid WebAssembly 2.0.  Such a module
# must be rejected by both engines; the seed then runs again without
# reference types.
#
# Seeds FIRST .. FIRST+COUNT-1 (default: 1 120); environment: FUZZ_DIFF_SIZE
# (seed bytes, default 4096), FUZZ_DIFF_KEEP (a folder to copy modules that
# differ into).  Exit 0 when all agree, 1 on any difference or failure, 77
# (skipped) without node or wasm-opt.
set -u
FUZZ_EXEC=${1:?usage: fuzz_diff.sh FUZZ_EXEC SOURCE_DIR [FIRST COUNT]}
SRC=${2:?usage: fuzz_diff.sh FUZZ_EXEC SOURCE_DIR [FIRST COUNT]}
FIRST=${3:-1}
COUNT=${4:-120}
SIZE=${FUZZ_DIFF_SIZE:-4096}
KEEP=${FUZZ_DIFF_KEEP:-}
HERE=$SRC/tests/diff

for tool in node wasm-opt; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "fuzz_diff: $tool not installed: skipped"
        exit 77
    fi
done

BASE="--mvp-features --enable-threads --enable-multivalue --enable-bulk-memory
--enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals"
REFTYPES=--enable-reference-types
# A hang in either engine must fail the test, not stall it.
LIMIT=""
command -v timeout >/dev/null 2>&1 && LIMIT="timeout 60"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
seeds=$(seq "$FIRST" $((FIRST + COUNT - 1)))
# shellcheck disable=SC2086 # one argument per seed
node "$HERE/seed_bytes.mjs" "$TMP" "$SIZE" $seeds || exit 1

fails=0 withref=0 noref=0 invalid=0 stack=0 calls=0

# run SEED FEATURES: generates the module, runs it in the three ways,
# compares; prints a line on failure.  Sets $node_out to Node's output.
run() {
    mod=$TMP/$1.wasm
    # shellcheck disable=SC2086 # feature flags
    if ! wasm-opt -ttf "$TMP/$1.bin" $2 --denan -o "$mod" 2>"$TMP/gen.log"; then
        echo "FAIL seed $1: wasm-opt: $(head -n 3 "$TMP/gen.log")"
        return 1
    fi
    if ! $LIMIT node "$HERE/fuzz_exec.mjs" "$mod" >"$TMP/node.out" 2>"$TMP/node.log"; then
        echo "FAIL seed $1: node: $(head -n 3 "$TMP/node.log")"
        return 1
    fi
    for bounds in guard software; do
        opt=""
        [ $bounds = software ] && opt=--bounds-checks=software
        # shellcheck disable=SC2086 # opt is empty or one option
        if ! $LIMIT "$FUZZ_EXEC" $opt "$mod" >"$TMP/weft.out" 2>"$TMP/weft.log"; then
            echo "FAIL seed $1 ($bounds): weft: $(head -n 3 "$TMP/weft.log")"
            return 1
        fi
        if ! awk -f "$HERE/fuzz_compare.awk" "$TMP/weft.out" "$TMP/node.out" >"$TMP/cmp.log"; then
            echo "FAIL seed $1 ($bounds), wasm-opt -ttf SEED.bin $(echo $2) --denan:"
            head -n 40 "$TMP/cmp.log"
            return 1
        fi
        grep -q "^note: stack" "$TMP/cmp.log" && stack=$((stack + 1))
    done
    return 0
}

keep() {
    [ -n "$KEEP" ] || return 0
    mkdir -p "$KEEP" && cp "$TMP/$1.bin" "$TMP/$1.wasm" "$KEEP/"
}

for s in $seeds; do
    # shellcheck disable=SC2086
    if ! run "$s" "$BASE $REFTYPES"; then
        fails=$((fails + 1)); keep "$s"; continue
    fi
    if [ "$(cat "$TMP/node.out")" = invalid ]; then
        # Both engines rejected it (run compared that); again without reference types.
        invalid=$((invalid + 1))
        # shellcheck disable=SC2086
        if ! run "$s" "$BASE"; then
            fails=$((fails + 1)); keep "$s"; continue
        fi
        if [ "$(cat "$TMP/node.out")" = invalid ]; then
            echo "FAIL seed $s: both engines reject binaryen's module without reference types"
            fails=$((fails + 1)); keep "$s"; continue
        fi
        noref=$((noref + 1))
    else
        withref=$((withref + 1))
    fi
    calls=$((calls + $(grep -c '^call ' "$TMP/node.out")))
done

echo "fuzz_diff: seeds $FIRST..$((FIRST + COUNT - 1)): $withref ran with reference types," \
     "$noref without ($invalid reference-types modules invalid in both engines)," \
     "$calls export calls compared, $stack stack-limited, $fails failed"
[ $fails -eq 0 ] || exit 1
exit 0
