#!/usr/bin/env bash
# Installs what is missing, builds, runs the whole test suite, then the fuzz smoke (every seed
# replayed, then a fixed-seed run per target: the same on every clone; tests/fuzz/run.sh), and a
# random campaign of FB_FUZZ_SECONDS per target when that is set.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
deploy/build.sh
# Tests write only under their own temporary folder; whatever they leave behind is a failure.
export TMPDIR="$PWD/build/test-tmp"
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"
(cd build && ctest -j2 --output-on-failure)
if [ -n "$(ls -A "$TMPDIR")" ]; then
  echo "tests left files behind in $TMPDIR:" >&2
  ls -A "$TMPDIR" >&2
  exit 1
fi
tests/fuzz/run.sh smoke
[ -z "${FB_FUZZ_SECONDS:-}" ] || tests/fuzz/run.sh "$FB_FUZZ_SECONDS"
