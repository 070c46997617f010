#!/bin/sh
# diff_test.sh WEFT SOURCE_DIR CC [CASE...] -- differential test of weft's
# two tiers against each other and against Node.js (V8): generates modules
# with bench/startup/gen_module.c (seeded; every function runs, `run` returns
# a checksum that must be the same in every correct engine), calls `run` with
# `weft run --tier=interp`, `weft run --tier=jit` and in Node, and compares
# the three results.
#
# A CASE is SEED:NFUNCS[:STOP] (STOP: run returns after its first STOP calls);
# without cases, the default set below.  Exit 0 when all agree, 1 on any
# difference or failure.  Without node the two tiers are still compared with
# each other (and the script says so); off x86-64 there is one tier.
#
# On a difference, to find the function: rerun gen_module with STOP from 1
# up, find the first STOP whose result (or memory) differs, and reduce that
# call (see tests/diff/README.md).
set -u
WEFT=${1:?usage: diff_test.sh WEFT SOURCE_DIR CC [CASE...]}
SRC=${2:?usage: diff_test.sh WEFT SOURCE_DIR CC [CASE...]}
CC_GEN=${3:?usage: diff_test.sh WEFT SOURCE_DIR CC [CASE...]}
shift 3
HERE=$SRC/tests/diff

HAVE_NODE=1
if ! command -v node >/dev/null 2>&1; then
    echo "diff_test: node not installed: comparing weft's tiers with each other only"
    HAVE_NODE=0
fi

# The compiler tier exists for x86-64 only; elsewhere the interpreter alone.
HAVE_JIT=1
case $(uname -m) in
x86_64 | amd64) ;;
*) HAVE_JIT=0 ;;
esac

# Default cases: a handful of small modules of different seeds and sizes,
# plus the startup benchmark's own module stopped after call 228 (it once
# differed there: a NaN's bits stored to memory, see
# tests/engine/test_regress.c).
if [ $# -eq 0 ]; then
    set -- 1:600 2:1200 3:2000 0xC0FFEE:2500 0xBADC0DE:3000 42:4000 0x5EED:18000:228
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
GEN=$TMP/gen_module
"$CC_GEN" -O2 -o "$GEN" "$SRC/bench/startup/gen_module.c" || {
    echo "diff_test: cannot build gen_module"
    exit 1
}

fails=0
for c in "$@"; do
    seed=${c%%:*}
    rest=${c#*:}
    nfuncs=${rest%%:*}
    stop=""
    [ "$rest" != "$nfuncs" ] && stop=${rest#*:}
    mod=$TMP/m.wasm
    # shellcheck disable=SC2086 # stop is empty or one number
    if ! "$GEN" "$mod" "$seed" "$nfuncs" $stop 2>"$TMP/gen.log"; then
        echo "FAIL $c: gen_module: $(cat "$TMP/gen.log")"
        fails=$((fails + 1))
        continue
    fi
    wi=$("$WEFT" run --tier=interp --invoke run "$mod" 2>"$TMP/interp.log")
    irc=$?
    wj=$wi jrc=0
    if [ $HAVE_JIT = 1 ]; then
        wj=$("$WEFT" run --tier=jit --invoke run "$mod" 2>"$TMP/jit.log")
        jrc=$?
    fi
    n=$wi nrc=0
    if [ $HAVE_NODE = 1 ]; then
        n=$(node "$HERE/run_export.mjs" "$mod" run 2>"$TMP/node.log")
        nrc=$?
    fi
    if [ $nrc -ne 0 ]; then
        echo "FAIL $c: node: $(head -n 3 "$TMP/node.log")"
        fails=$((fails + 1))
    elif [ $irc -ne 0 ] || [ "$wi" != "$n" ]; then
        echo "FAIL $c: weft --tier=interp '$wi' (status $irc) but node '$n'  [gen_module OUT $seed $nfuncs $stop]"
        head -n 3 "$TMP/interp.log"
        fails=$((fails + 1))
    elif [ $jrc -ne 0 ] || [ "$wj" != "$wi" ]; then
        echo "FAIL $c: weft --tier=jit '$wj' (status $jrc) but --tier=interp '$wi'  [gen_module OUT $seed $nfuncs $stop]"
        head -n 3 "$TMP/jit.log"
        fails=$((fails + 1))
    else
        echo "ok   $c: $wi"
    fi
done
[ $fails -eq 0 ] || {
    echo "diff_test: $fails of $# cases differ"
    exit 1
}
exit 0
