#!/usr/bin/env bash
# Installs what is missing, builds, runs the whole test suite, then each fuzz target for a short
# smoke run (FB_FUZZ_SECONDS each, 15 by default; tests/fuzz/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
deploy/build.sh
(cd build && ctest -j2 --output-on-failure)
tests/fuzz/run.sh "${FB_FUZZ_SECONDS:-15}"
