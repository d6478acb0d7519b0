#!/usr/bin/env bash
# From a fresh machine to a finished job: installs what is missing, builds dlrun, makes sure a
# Docker engine is reachable (starting a private one when none is), builds the example image
# locally (no registry needed) and runs examples/hello.json with dlrun.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default

dlrun=build/default/src/dlrun
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

echo "quickstart: $dlrun train examples/hello.json"
"$dlrun" train examples/hello.json
