#!/bin/sh
# run.sh BUILD -- `make bench`: builds the kernels (build.sh) into BUILD/bench/
# and runs them in every engine (bench.py).  Knobs are environment variables;
# see bench/README.md.
set -eu
BUILD=${1:?usage: bench/run.sh BUILD}
HERE=$(cd "$(dirname "$0")" && pwd)
sh "$HERE/build.sh" "$BUILD"
exec python3 "$HERE/bench.py" "$BUILD"
