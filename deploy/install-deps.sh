#!/usr/bin/env bash
# Installs what fieldbridge needs to build on Debian 12, and nothing when it is all there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ ccache pkg-config
  libboost1.81-all-dev librdkafka-dev libsqlite3-dev libyaml-cpp-dev catch2
  libpugixml-dev libspdlog-dev libcli11-dev libhowardhinnant-date-dev libvalijson-dev
  libphonenumber8 liblz4-dev libabsl-dev libprotobuf-dev libre2-dev kcat curl sqlite3 tzdata
  prometheus                   # promtool: the tests check deploy/prometheus/alerts.yml
  clang-14 libclang-rt-14-dev   # the fuzz targets (tests/fuzz)
  chromium)                    # the operator's page, tested in a headless browser (tests/browser)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's libphonenumber-dev depends on Boost 1.74's headers, which conflict with Boost 1.81's.
# We take only its headers and link symlink from the package, into .deps/, and link the installed
# libphonenumber8 runtime.
if [ ! -f .deps/phonenumber/usr/include/phonenumbers/phonenumberutil.h ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq libphonenumber-dev)
  mkdir -p .deps/phonenumber
  dpkg-deb -x "$tmp"/libphonenumber-dev_*.deb .deps/phonenumber
  rm -rf "$tmp"
fi

# The browser test drives chromium with playwright-core from the npm registry (tests/browser,
# pinned by its package-lock.json). Node.js and npm from Debian unless some are already there.
need=()
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! cmp -s tests/browser/package-lock.json tests/browser/node_modules/.installed-lock.json; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error &&
   cp package-lock.json node_modules/.installed-lock.json)
fi
