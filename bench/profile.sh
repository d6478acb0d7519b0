#!/usr/bin/env bash
# Where dlrun's time goes: perf records (DWARF stacks) of a no-op job and of 1 GiB streamed to
# stdout on a private engine, drawn as flame graphs in docs/ (bench/flamegraph.py). Needs root
# and Debian's linux-perf; uses the release build.
#
#   bench/profile.sh [--dlrun BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
dlrun=""
[ "${1:-}" = --dlrun ] && dlrun=$(realpath "$2")
command -v perf >/dev/null || { echo "profile: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
if [ -z "$dlrun" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release >/dev/null
  dlrun=$PWD/build/release/src/dlrun
fi

engine_dir=/tmp/dlrun-profile
work=$(mktemp -d /tmp/dlrun-profile-work.XXXXXX)
scripts/private-engine.sh start "$engine_dir" --image dlrun-test/busybox:1 >/dev/null
trap 'scripts/private-engine.sh stop "$engine_dir" >/dev/null; rm -rf "$work"' EXIT
export DOCKER_HOST="unix://$engine_dir/docker.sock" XDG_CACHE_HOME="$work/cache"

spec() {  # name, command (JSON): a spec as the benchmarks write it
  printf '{"version": 1, "name": "%s", "image": "dlrun-test/busybox:1", "network": "none", "user": "root", "command": %s}\n' \
    "$1" "$2" >"$work/$1.json"
}
spec noop '["true"]'
spec stream '["head", "-c", "1073741824", "/dev/zero"]'
"$dlrun" train -q "$work/noop.json"  # the engine's caches, and what dlrun learns of the daemon

record() {  # name, title, runs, samples per second
  local name=$1 title=$2 runs=$3 frequency=$4
  for _ in $(seq "$runs"); do echo "\"$dlrun\" train -q \"$work/$name.json\" >/dev/null"; done >"$work/$name.sh"
  perf record -q -F "$frequency" --call-graph dwarf,16384 -o "$work/$name.data" -- bash "$work/$name.sh" 2>/dev/null
  perf script -i "$work/$name.data" 2>/dev/null |
    bench/flamegraph.py --comm dlrun --title "$title" >"docs/flamegraph-$name.svg"
  echo "profile: docs/flamegraph-$name.svg"
}
record noop "dlrun train: a no-op job (true), 20 runs" 20 10000
record stream "dlrun train: 1 GiB to stdout (head -c 1G /dev/zero)" 1 2000
