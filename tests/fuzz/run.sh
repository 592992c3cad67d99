#!/usr/bin/env bash
# Builds the fuzz targets (clang-14, libFuzzer, ASan + UBSan) into build-fuzz/ and runs them. Fails
# on any crash, leak, UB report, timeout or OOM; the input that did it is left in
# build-fuzz/fuzz/artifacts/.
#   run.sh smoke [TARGET…]     CI (deploy/test.sh): replays every seed, then fuzzes a fixed number
#                              of inputs from a fixed -seed: the same exploration on every clone,
#                              so a finding shows up on the change that made it, reproducibly.
#                              FB_FUZZ_RUNS=N replaces each target's count.
#   run.sh SECONDS [TARGET…]   a campaign: SECONDS per target, a random seed, from what earlier
#                              campaigns found (build-fuzz/fuzz/corpus/, kept between runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
# ccache hits across clones and folders: paths relative to the checkout, the folder not hashed.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
mode=${1:-15}
shift || true
all=(json xml csv charset mapping_compile mapping_eval http status_event erp_answer)
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
    xml | csv | http | status_event | erp_answer) echo "$1" ;;
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
# Inputs per target in the smoke: about 15 s each on a busy 2-core machine (README "Fuzzing").
smoke_runs_of() {
  case $1 in
    mapping_compile) echo 4000 ;;
    csv | status_event) echo 30000 ;;
    http) echo 40000 ;;
    charset) echo 120000 ;;
    *) echo 60000 ;;
  esac
}

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1
common=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
failed=()
report() {  # target log: the figures of a good run, or what went wrong
  if [ "$3" -eq 0 ]; then
    grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb" "$2" | sed 's/^/  /' || true
  else
    echo "  FAILED: see $2 and $work/artifacts/$1-*"
    grep -E "ERROR|SUMMARY|runtime error|==[0-9]+==|deadly|Test unit written" "$2" |
      head -20 | sed 's/^/  /' || true
    failed+=("$1")
  fi
}
# The seeds of a target (generated, then committed: corners and inputs that once failed), in
# one order on every machine: libFuzzer's order of a folder is the file system's.
seed_list() {
  find "$work/seeds/$1" "tests/fuzz/seeds/$1" -type f 2>/dev/null | LC_ALL=C sort
}

# The smoke's fuzzing runs without address randomisation and in a fixed environment: libFuzzer
# mutates with the values the code compares, pointers among them, so with ASLR two runs from the
# same seed part ways within seconds.
fixed=(env -i PATH=/usr/bin:/bin UBSAN_OPTIONS="$UBSAN_OPTIONS" ASAN_OPTIONS="$ASAN_OPTIONS")
if setarch "$(uname -m)" -R true 2>/dev/null; then
  fixed+=(setarch "$(uname -m)" -R)
elif [ "$mode" = smoke ]; then
  echo "setarch -R is refused here: the smoke's exploration will differ from run to run" >&2
fi

for t in "${targets[@]}"; do
  dict=(-dict="tests/fuzz/dict/$(dict_of "$t").dict")
  if [ "$mode" = smoke ]; then
    out=$work/smoke/$t  # what this run finds; empty at the start so every run starts alike
    rm -rf "$out" && mkdir -p "$out"
    mapfile -t seeds < <(seed_list "$t")
    [ ${#seeds[@]} -gt 0 ] || { echo "fuzz_$t: no seeds" >&2; failed+=("$t"); continue; }
    (IFS=,; echo "${seeds[*]}") >"$work/smoke/$t.seeds"  # -seed_inputs=@ takes a comma list
    echo "fuzz_$t: replay ${#seeds[@]} seeds"
    rc=0
    "$bin/fuzz_$t" "${common[@]}" -artifact_prefix="$work/artifacts/$t-" "${seeds[@]}" \
      >"$work/$t-replay.log" 2>&1 || rc=$?
    [ $rc -eq 0 ] || { report "$t" "$work/$t-replay.log" $rc; continue; }
    runs=${FB_FUZZ_RUNS:-$(smoke_runs_of "$t")}
    echo "fuzz_$t: $runs inputs from -seed=1"
    "${fixed[@]}" "$bin/fuzz_$t" "${common[@]}" -seed=1 -runs="$runs" -reload=0 -max_len="$(max_len_of "$t")" \
      "${dict[@]}" -artifact_prefix="$work/artifacts/$t-" -seed_inputs=@"$work/smoke/$t.seeds" "$out" \
      >"$work/$t.log" 2>&1 || rc=$?
  else
    corpus=$work/corpus/$t  # what the fuzzer found; kept between runs
    mkdir -p "$corpus"
    dirs=("$corpus")
    [ -d "$work/seeds/$t" ] && dirs+=("$work/seeds/$t")
    [ -d "tests/fuzz/seeds/$t" ] && dirs+=("tests/fuzz/seeds/$t")
    echo "fuzz_$t: ${mode}s"
    rc=0
    "$bin/fuzz_$t" "${common[@]}" -max_total_time="$mode" -max_len="$(max_len_of "$t")" \
      "${dict[@]}" -artifact_prefix="$work/artifacts/$t-" "${dirs[@]}" >"$work/$t.log" 2>&1 || rc=$?
  fi
  report "$t" "$work/$t.log" $rc
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]}"
  [ "$mode" = smoke ] && echo "the smoke is deterministic: tests/fuzz/run.sh smoke ${failed[*]} repeats it"
  exit 1
fi
if [ "$mode" = smoke ]; then
  echo "fuzzing smoke: ${#targets[@]} targets, seeds replayed, fixed-seed runs, nothing found"
else
  echo "fuzzing: ${#targets[@]} targets, ${mode}s each, nothing found"
fi
