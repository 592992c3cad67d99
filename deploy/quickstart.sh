#!/usr/bin/env bash
# Installs what is missing, builds, and runs the daemon on its embedded default (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
deploy/build.sh
exec build/daemon/fieldbridge run --config deploy/examples/quickstart.yaml
