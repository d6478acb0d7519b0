#!/usr/bin/env bash
# From a fresh machine to a finished job: installs what is missing to build and run dlrun (not
# what the tests need), builds dlrun alone (the release preset: no test binaries), makes sure a
# Docker engine is reachable (starting a private one when none is), builds the example image
# locally (no registry needed) and runs examples/hello.json with dlrun. Says each phase's time.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
phase_started=$SECONDS
phase() {  # says how long the phase before took
  echo "quickstart: $1 took $((SECONDS - phase_started)) s"
  phase_started=$SECONDS
}

scripts/setup.sh
phase "installing packages"
cmake --preset release >/dev/null
cmake --build --preset release
phase "building dlrun"

dlrun=build/release/src/dlrun
image=dlrun-example/busybox:1
if ! docker version >/dev/null 2>&1; then
  dir=/tmp/dlrun-quickstart
  echo "quickstart: no Docker engine answers at ${DOCKER_HOST:-/var/run/docker.sock}; starting a private one in $dir"
  scripts/private-engine.sh start "$dir" --image "$image"
  export DOCKER_HOST="unix://$dir/docker.sock"
  echo "quickstart: it runs in namespaces of its own and leaves the host's network and Docker alone;"
  echo "quickstart: it keeps running; use it with: export DOCKER_HOST=$DOCKER_HOST"
  echo "quickstart: stop it with: scripts/private-engine.sh stop $dir"
elif ! docker image inspect "$image" >/dev/null 2>&1; then
  scripts/private-engine.sh import-image "$image"
fi
phase "the engine and the example image"

echo "quickstart: $dlrun train examples/hello.json"
"$dlrun" train examples/hello.json
phase "the hello job"
echo "quickstart: $((SECONDS - started)) s in all; dlrun is $dlrun (or make a package: docs/install.md)"
