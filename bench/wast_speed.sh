#!/bin/sh
# wast_speed.sh [BUILD] -- the 2.0 spec suite (top-level files, SIMD included,
# and proposals/threads) read and run by `weft wast`, against wabt's
# wast2json merely converting the same files (what the JSON runner needs
# before it can run anything).  Best of BENCH_REPEAT runs (default 3) each;
# prints both times and their ratio.
set -eu
build=${1:-build}
repeat=${BENCH_REPEAT:-3}
suite=${WEFT_SHARED:-$(dirname "$0")/../../shared}/testsuite
weft=$build/weft
[ -x "$weft" ] || { echo "wast_speed: no $weft (make build first)"; exit 1; }
[ -d "$suite" ] || { echo "wast_speed: no suite at $suite"; exit 1; }
command -v wast2json >/dev/null || { echo "wast_speed: wast2json not found (package wabt)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
best() { # the smallest of the numbers on stdin
    sort -g | head -n 1
}

core=$(ls "$suite"/*.wast)
threads=$(ls "$suite"/proposals/threads/*.wast)
i=0
: >"$tmp/weft" ; : >"$tmp/wabt"
while [ $i -lt "$repeat" ]; do
    t0=$(now)
    "$weft" wast --features=2.0 $core >"$tmp/out1" || { cat "$tmp/out1"; exit 1; }
    "$weft" wast --features=threads $threads >"$tmp/out2" || { cat "$tmp/out2"; exit 1; }
    t1=$(now)
    for f in $core $threads; do
        name=$(basename "$f" .wast)
        mkdir -p "$tmp/json/$name"
        wast2json --enable-threads "$f" -o "$tmp/json/$name/$name.json"
    done
    t2=$(now)
    echo "$t1 - $t0" | bc -l >>"$tmp/weft"
    echo "$t2 - $t1" | bc -l >>"$tmp/wabt"
    rm -rf "$tmp/json"
    i=$((i + 1))
done
w=$(best <"$tmp/weft")
j=$(best <"$tmp/wabt")
cmds=$(cat "$tmp/out1" "$tmp/out2" | sed -n 's/^total: \([0-9]*\) passed.*/\1/p' | paste -sd+ | bc)
printf 'weft wast, reading and running %s commands of %s files: %.2f s\n' "$cmds" \
    "$(echo $core $threads | wc -w)" "$w"
printf 'wast2json, converting the same files:                     %.2f s\n' "$j"
printf 'weft wast / wast2json: %.2f\n' "$(echo "$w / $j" | bc -l)"
