#!/usr/bin/env bash
# clang-tidy-19 over every source file under src/, with the checked-in .clang-tidy: the test
# passes on zero diagnostics. Needs the build's compile_commands.json.
#
#   tests/tidy.sh BUILD_DIR [FILE_REGEX]     e.g. tests/tidy.sh build/test 'src/cli/.*'
set -euo pipefail
build_dir=$(realpath "${1:?usage: tests/tidy.sh BUILD_DIR [FILE_REGEX]}")
cd "$(dirname "$0")/.."
files=${2:-src/.*\.cpp}

if ! command -v run-clang-tidy-19 >/dev/null; then
  echo "tidy: clang-tidy-19 is not installed (scripts/setup.sh --test installs it)" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 77  # skipped, and ctest says so
fi
[ -f "$build_dir/compile_commands.json" ] || { echo "tidy: no compile_commands.json in $build_dir" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run-clang-tidy-19 -p "$build_dir" -quiet -j "$(nproc)" \
  "$PWD/$files\$" >"$log" 2>&1 || status=$?
# A header's finding is reported once per file that includes it: each once.
findings=$(grep -E '^/.*:[0-9]+:[0-9]+: (warning|error):' "$log" | sort -u || true)
if [ -n "$findings" ] || [ "$status" != 0 ]; then
  if [ -n "$findings" ]; then
    echo "$findings"
    echo "tidy: $(wc -l <<<"$findings") findings; one file's in full: clang-tidy-19 -p $build_dir FILE"
  else
    tail -n 40 "$log"
    echo "tidy: clang-tidy failed (exit $status) without a finding: see above"
  fi
  exit 1
fi
echo "tidy: $(grep -c 'clang-tidy-19 -p' "$log") files, no findings"
