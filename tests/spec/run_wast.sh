#!/bin/sh
# run_wast.sh WEFT DIR PATTERN EXPECT [WEFT WAST OPTIONS...]
#
# Runs `weft wast` over the .wast files of the spec suite folder DIR
# (relative to $WEFT_SHARED if set, else to the shared folder given at
# configure time in WEFT_SHARED_DEFAULT) whose names match PATTERN (a shell
# glob; `-` prefixed: those that do not match; `**` below DIR: every .wast
# under it).  EXPECT, unless empty, is the totals line the pinned suite must
# give ("N passed, 0 failed, 0 skipped"), so that nothing is dropped
# silently.  A missing suite is a skip (exit 0), as for spec_runner.
set -u
weft=$1 dir=$2 pattern=$3 expect=$4
shift 4
shared=${WEFT_SHARED:-$WEFT_SHARED_DEFAULT}
suite=$shared/$dir
if [ ! -d "$suite" ]; then
    echo "wast: skipped: $suite not found; set WEFT_SHARED to the shared/ folder beside the repository (see tests/spec/README.md)"
    exit 0
fi
case $pattern in
    '**') files=$(find "$suite" -name '*.wast' | LC_ALL=C sort) ;;
    '**!'*) files=$(find "$suite" -name '*.wast' | grep -v "^$suite/${pattern#'**!'}/" | LC_ALL=C sort) ;;
    -*) files=$(ls "$suite"/*.wast | grep -v "/${pattern#-}[^/]*$" | LC_ALL=C sort) ;;
    *) files=$(ls "$suite"/$pattern | LC_ALL=C sort) ;;
esac
out=$("$weft" wast "$@" $files)
rc=$?
echo "$out"
if [ -n "$expect" ] && [ -z "${WEFT_SHARED:-}" ]; then
    got=$(echo "$out" | sed -n 's/^total: //p')
    if [ "$got" != "$expect" ]; then
        echo "wast: expected \"total: $expect\" from the pinned suite, got \"total: $got\""
        exit 1
    fi
fi
exit $rc
