#!/bin/sh
# fuzz_diff.sh FUZZ_EXEC SOURCE_DIR [FIRST COUNT] -- differential test of weft
# against Node.js (V8) on modules made by binaryen's `wasm-opt -ttf` from
# seeded random bytes (seed_bytes.mjs), features: threads, multivalue,
# reference types, bulk memory, sign extension, non-trapping conversions,
# mutable globals (WebAssembly 2.0 without SIMD, plus threads).  Each module
# runs as binaryen's --fuzz-exec runs it (fuzz_exec.c on weft, in both bounds
# modes and both tiers; fuzz_exec.mjs on Node): every export in order in one
# instance, with the logs, results, traps and the final memory hash compared
# call by call (fuzz_compare.awk), each weft run with Node and weft's
# compiled run with its interpreted one.
#
# Modules are made with --denan (NaN bits are nondeterministic; see README.md).
# Debian's binaryen 108 models reference types before their standard form
# (funcref a subtype of its anyref, which it writes as externref): most of
# its reference-types modules are invalid WebAssembly 2.0.  Such a module
# must be rejected by both engines; the seed then runs again without
# reference types.
#
# Seeds FIRST .. FIRST+COUNT-1 (default: 1 250); environment: FUZZ_DIFF_SIZE
# (seed bytes, default 4096), FUZZ_DIFF_KEEP (a folder to copy modules that
# differ into).  Exit 0 when all agree, 1 on any difference or failure, 77
# (skipped) without node or wasm-opt.
set -u
FUZZ_EXEC=${1:?usage: fuzz_diff.sh FUZZ_EXEC SOURCE_DIR [FIRST COUNT]}
SRC=${2:?usage: fuzz_diff.sh FUZZ_EXEC SOURCE_DIR [FIRST COUNT]}
FIRST=${3:-1}
COUNT=${4:-250}
SIZE=${FUZZ_DIFF_SIZE:-4096}
KEEP=${FUZZ_DIFF_KEEP:-}
HERE=$(cd "$SRC/tests/diff" && pwd)
case $FUZZ_EXEC in /*) ;; *) FUZZ_EXEC=$(pwd)/$FUZZ_EXEC ;; esac

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
command -v timeout >/dev/null 2>&1 && LIMIT="timeout 200"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
seeds=$(seq "$FIRST" $((FIRST + COUNT - 1)))
# shellcheck disable=SC2086 # one argument per seed
node "$HERE/seed_bytes.mjs" "$TMP" "$SIZE" $seeds || exit 1

fails=0 withref=0 noref=0 invalid=0 stack=0 calls=0 jit_compiled=0 jit_interp=0
# Both tiers where the compiler exists (x86-64), else the interpreter alone.
TIERS="interp jit"
case $(uname -m) in
x86_64 | amd64) ;;
*) TIERS=interp ;;
esac

keep() {
    [ -n "$KEEP" ] || return 0
    mkdir -p "$KEEP" && cp "$TMP/$1.bin" "$TMP/$1.wasm" "$KEEP/"
}

# gen FEATURES SEED...: makes $TMP/SEED.wasm for each seed and runs them all
# in one Node process ($TMP/SEED.node); prints the seeds it made.
gen() {
    features=$1
    shift
    made=""
    for s in "$@"; do
        # shellcheck disable=SC2086 # feature flags
        if wasm-opt -ttf "$TMP/$s.bin" $features --denan -o "$TMP/$s.wasm" 2>"$TMP/gen.log"; then
            made="$made $s"
        else
            echo "FAIL seed $s: wasm-opt: $(head -n 3 "$TMP/gen.log")" >&2
            echo "x" >>"$TMP/genfail"
        fi
    done
    [ -n "$made" ] || return 0
    # shellcheck disable=SC2046 # one argument per module
    (cd "$TMP" && $LIMIT node "$HERE/fuzz_exec.mjs" $(for s in $made; do echo "$s.wasm"; done)) >&2
    rc=$?
    # 2: a module the harness could not run (its output says so); else all or nothing.
    if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
        echo "FAIL: node exited with status $rc" >&2
        : >"$TMP/nodefail"
    fi
    echo "$made"
}

# check SEED FEATURES: runs SEED.wasm in weft in both bounds modes and both
# tiers, compares each run with Node's output and the compiled run with the
# interpreted one; prints what differs.
check() {
    for bounds in guard software; do
        opt=""
        [ $bounds = software ] && opt=--bounds-checks=software
        for tier in $TIERS; do
            # shellcheck disable=SC2086 # opt is empty or one option
            if ! $LIMIT "$FUZZ_EXEC" $opt --tier=$tier "$TMP/$1.wasm" >"$TMP/$tier.out" 2>"$TMP/$tier.log"; then
                echo "FAIL seed $1 ($bounds, $tier): weft: $(head -n 3 "$TMP/$tier.log")"
                return 1
            fi
            if ! awk -v left="weft $tier" -f "$HERE/fuzz_compare.awk" "$TMP/$tier.out" "$TMP/$1.node" >"$TMP/cmp.log"; then
                # shellcheck disable=SC2086 # the flags on one line
                echo "FAIL seed $1 ($bounds, $tier), wasm-opt -ttf SEED.bin" $2 "--denan:"
                head -n 40 "$TMP/cmp.log"
                return 1
            fi
            grep -q "^note: stack" "$TMP/cmp.log" && stack=$((stack + 1))
        done
        [ "$TIERS" = interp ] && continue
        # The tiers with each other: the same calls, logs, results, traps and
        # memory hash (Node's run above allows only what engines may differ in).
        if ! awk -v left="weft jit" -v right="weft interp" -f "$HERE/fuzz_compare.awk" \
                "$TMP/jit.out" "$TMP/interp.out" >"$TMP/cmp.log"; then
            # shellcheck disable=SC2086 # the flags on one line
            echo "FAIL seed $1 ($bounds, jit against interp), wasm-opt -ttf SEED.bin" $2 "--denan:"
            head -n 40 "$TMP/cmp.log"
            return 1
        fi
        # shellcheck disable=SC2046 # two numbers, or nothing
        set -- "$1" "$2" $(sed -n 's/^tier: \([0-9]*\) compiled, \([0-9]*\) interpreted$/\1 \2/p' "$TMP/jit.log")
        [ $# -eq 4 ] && jit_compiled=$((jit_compiled + $3)) jit_interp=$((jit_interp + $4))
    done
    return 0
}

# Every seed with reference types; those both engines reject, again without.
# shellcheck disable=SC2086
first=$(gen "$BASE $REFTYPES" $seeds)
[ -f "$TMP/nodefail" ] && exit 1
again=""
for s in $first; do
    if ! check "$s" "$BASE $REFTYPES"; then
        fails=$((fails + 1)); keep "$s"
    elif [ "$(cat "$TMP/$s.node")" = invalid ]; then
        invalid=$((invalid + 1)); again="$again $s"
    else
        withref=$((withref + 1)); calls=$((calls + $(grep -c '^call ' "$TMP/$s.node")))
    fi
done
# shellcheck disable=SC2086
second=$(gen "$BASE" $again)
[ -f "$TMP/nodefail" ] && exit 1
for s in $second; do
    if ! check "$s" "$BASE"; then
        fails=$((fails + 1)); keep "$s"
    elif [ "$(cat "$TMP/$s.node")" = invalid ]; then
        echo "FAIL seed $s: both engines reject binaryen's module without reference types"
        fails=$((fails + 1)); keep "$s"
    else
        noref=$((noref + 1)); calls=$((calls + $(grep -c '^call ' "$TMP/$s.node")))
    fi
done
[ -f "$TMP/genfail" ] && fails=$((fails + $(wc -l <"$TMP/genfail")))

echo "fuzz_diff: seeds $FIRST..$((FIRST + COUNT - 1)): $withref ran with reference types," \
     "$noref without ($invalid reference-types modules invalid in both engines)," \
     "$calls export calls compared, $stack stack-limited, $fails failed"
[ "$TIERS" = interp ] || echo "fuzz_diff: tiers interp and jit compared with each other and with" \
     "Node; under jit $jit_compiled functions compiled, $jit_interp interpreted (both bounds modes)"
[ $fails -eq 0 ] || exit 1
exit 0
