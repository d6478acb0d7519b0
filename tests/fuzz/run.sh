#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz/*_fuzz.cpp) with clang-19 under ASan+UBSan and runs them.
#
#   run.sh smoke                  every target for a few seconds: the seeds, then new inputs;
#                                 fails on any crash, hang, leak or undefined behaviour
#   run.sh long SECONDS [TARGET…] each target (default: all) for SECONDS, one after the other,
#                                 then a table of executions, coverage and corpus size
#
# Installs nothing: clang-19 and libclang-rt-19-dev come from scripts/setup.sh --test. One fuzzer runs
# at a time, on one core; prefix `nice -n 19` on a shared machine. Environment:
#   DLRUN_FUZZ_BUILD_DIR  the build tree (build/fuzz); it also keeps what long runs found
#                         (corpus/<target>; a smoke starts afresh each time), logs
#                         (logs/<target>.log), crashing inputs (artifacts/<target>/) and the
#                         targets' scratch files (tmp/)
#   DLRUN_FUZZ_JOBS       parallel compile jobs (all cores)
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() {
  echo "usage: tests/fuzz/run.sh smoke | long SECONDS [TARGET...]" >&2
  exit 2
}

mode=${1:-}
case "$mode" in
  smoke) seconds=4; shift ;;
  long)
    [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage
    seconds=$2
    shift 2
    ;;
  *) usage ;;
esac

if ! command -v clang++-19 >/dev/null || ! command -v clang-19 >/dev/null; then
  echo "run.sh: clang-19 is not installed; the fuzz targets need it and its libFuzzer runtime" >&2
  echo "hint: run scripts/setup.sh --test as root (it installs clang-19 and libclang-rt-19-dev)" >&2
  exit 1
fi
if ! compgen -G "$(clang++-19 -print-resource-dir)/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null; then
  echo "run.sh: clang-19's libFuzzer runtime is not installed" >&2
  echo "hint: run scripts/setup.sh --test as root (it installs libclang-rt-19-dev)" >&2
  exit 1
fi

all_targets=()
for source in tests/fuzz/*_fuzz.cpp; do
  name=${source##*/}
  all_targets+=("${name%_fuzz.cpp}")
done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  if [ ! -f "tests/fuzz/${target}_fuzz.cpp" ]; then
    echo "run.sh: no fuzz target \"$target\"; there are: ${all_targets[*]}" >&2
    exit 2
  fi
done

build=${DLRUN_FUZZ_BUILD_DIR:-build/fuzz}
mkdir -p "$build"
cmake -S tests/fuzz -B "$build" -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j "${DLRUN_FUZZ_JOBS:-$(nproc)}" --target "${targets[@]/%/_fuzz}"

# Reports name functions and lines (llvm-19's symbolizer; without one they give addresses).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && command -v llvm-symbolizer-19 >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer-19)
fi

# The last status line's "cov: N ft: N corp: N/…" and the final stats' executions.
field() { grep -o "$1: [0-9]*" "$2" | tail -n 1 | grep -o '[0-9]*$' || echo "?"; }

# The targets that read files write them under $TMPDIR: here, not in /tmp, even after a crash.
mkdir -p "$build/tmp"
TMPDIR=$(cd "$build/tmp" && pwd)
export TMPDIR

failed=()
rows=()
[ "$mode" = smoke ] && rm -rf "$build/smoke-corpus"
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  [ "$mode" = smoke ] && corpus=$build/smoke-corpus/$target
  artifacts=$build/artifacts/$target
  log=$build/logs/$target.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$artifacts/")
  [ -f "tests/fuzz/$target.dict" ] && options+=(-dict="tests/fuzz/$target.dict")
  # New inputs go to the first directory, so the seeds in tests/fuzz/corpus stay as written.
  status=ok
  "$build/${target}_fuzz" "${options[@]}" "$corpus" "tests/fuzz/corpus/$target" >"$log" 2>&1 ||
    status=FAILED
  executions=$(field "stat::number_of_executed_units" "$log")
  row="$target: $executions executions, cov $(field cov "$log"), ft $(field ft "$log"), corpus $(field corp "$log")"
  rows+=("$row: $status")
  echo "$row: $status"
  if [ "$status" != ok ]; then
    failed+=("$target")
    # The sanitizer's or libFuzzer's report, and the input that caused it.
    grep -v -E '^#[0-9]+' "$log" | tail -n 40 >&2
    echo "log: $log; crashing inputs: $artifacts/" >&2
  fi
done

if [ "$mode" = long ]; then
  echo
  echo "$(date -u +%F), ${seconds}s per target:"
  printf '  %s\n' "${rows[@]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "run.sh: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
