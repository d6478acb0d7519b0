#!/usr/bin/env bash
# Builds dlrun under ASan+UBSan with -Werror and runs every test: unit tests, and integration
# tests against private Docker engines that the test fixture starts and stops itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
cmake --preset test
# The test fixture's Debian roots (the build tests' image, Debian 13's engines, the package
# test's Debian 12, the quickstart test's engine root) download while dlrun builds; the tests
# make whatever this could not.
{ tests/harness/engine.sh prefetch build/test/test-cache &&
  tests/harness/check-package.sh --prefetch build/test/test-cache &&
  tests/harness/check-quickstart.sh --prefetch build/test/test-cache; } > build/test/prefetch.log 2>&1 &
prefetch=$!
cmake --build --preset test
wait "$prefetch" || echo "test.sh: prefetching the test roots failed (build/test/prefetch.log)" >&2
ctest --preset test -j2
