#!/bin/sh
# run.sh BUILD -- `make bench`: builds the kernels (build.sh) into BUILD/bench/
# and runs them in every engine (bench.py).  Knobs are environment variables;
# see bench/README.md.
set -eu
BUILD=${1:?usage: bench/run.sh BUILD}
HERE=$(cd "$(dirname "$0")" && pwd)
sh "$HERE/build.sh" "$BUILD"
sh "$HERE/threaded/build.sh" "$BUILD"
# Startup time of a large module (bench/startup/): its Markdown goes into
# bench.py's results; a failure there fails `make bench` after the kernels ran.
startup=0
sh "$HERE/startup/run.sh" "$BUILD" || startup=$?
python3 "$HERE/bench.py" "$BUILD"
exit $startup
