#!/usr/bin/env bash
# Builds dlrun under ASan+UBSan with -Werror and runs every test: unit tests, and integration
# tests against private Docker engines that the test fixture starts and stops itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset test
cmake --build --preset test
ctest --preset test -j2
