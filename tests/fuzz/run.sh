#!/usr/bin/env bash
# Builds the fuzz targets (clang-14, libFuzzer, ASan + UBSan) into build-fuzz/ and runs each for
# SECONDS (default 15) from its seeds. Fails on any crash, leak, UB report, timeout or OOM; the
# input that did it is left in build-fuzz/fuzz/artifacts/. Usage: run.sh [SECONDS [TARGET…]]
set -euo pipefail
cd "$(dirname "$0")/../.."
# ccache hits across clones and folders: paths relative to the checkout, the folder not hashed.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
seconds=${1:-15}
shift || true
all=(json xml csv charset mapping_compile mapping_eval http)
targets=("${all[@]}")
[ $# -eq 0 ] || targets=("$@")

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFB_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_all

bin=build-fuzz/tests/fuzz
work=build-fuzz/fuzz
rm -rf "$work/seeds"
mkdir -p "$work/artifacts"
"$bin/fuzz_seeds" "$work/seeds"

dict_of() {
  case $1 in
    json | mapping_eval) echo json ;;
    xml | csv | http) echo "$1" ;;
    charset) echo csv ;;
    mapping_compile) echo mapping ;;
  esac
}
max_len_of() {
  case $1 in
    http) echo 24576 ;;  # past the 16 KiB header limit
    *) echo 8192 ;;
  esac
}

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1
failed=()
for t in "${targets[@]}"; do
  corpus=$work/corpus/$t  # what the fuzzer found; kept between runs
  mkdir -p "$corpus"
  dirs=("$corpus")
  [ -d "$work/seeds/$t" ] && dirs+=("$work/seeds/$t")
  [ -d "tests/fuzz/seeds/$t" ] && dirs+=("tests/fuzz/seeds/$t")
  echo "fuzz_$t: ${seconds}s"
  if "$bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len_of "$t")" -dict="tests/fuzz/dict/$(dict_of "$t").dict" \
      -artifact_prefix="$work/artifacts/$t-" -print_final_stats=1 "${dirs[@]}" \
      >"$work/$t.log" 2>&1; then
    grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb" "$work/$t.log" |
      sed 's/^/  /' || true
  else
    echo "  FAILED: see $work/$t.log and $work/artifacts/$t-*"
    grep -E "ERROR|SUMMARY|runtime error|==[0-9]+==|deadly|Test unit written" "$work/$t.log" |
      head -20 | sed 's/^/  /' || true
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]}"
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets, ${seconds}s each, nothing found"
