#!/bin/sh
# expect.sh EXPECTED PROGRAM ARGS... -- runs PROGRAM ARGS, shows its output,
# and passes when it exits 0 and printed a line containing EXPECTED (the
# tests of examples/capi_*.c; CMakeLists.txt).  The status counts too: a
# sanitizer's report at exit (a leak, a race) changes it after the last line.
expected=$1
shift
out=$("$@" 2>&1)
status=$?
printf '%s\n' "$out"
if [ "$status" != 0 ]; then
    echo "FAIL: $1 exited with status $status"
    exit 1
fi
if ! printf '%s\n' "$out" | grep -qF -- "$expected"; then
    echo "FAIL: $1 printed no line containing '$expected'"
    exit 1
fi
