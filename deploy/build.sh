#!/usr/bin/env bash
# Configures and builds fieldbridge into build/ (Ninja, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache hits across clones and folders: paths relative to the checkout, the folder not hashed.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
