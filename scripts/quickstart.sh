#!/usr/bin/env bash
# From a fresh machine to a finished job: installs what is missing to build and run dlrun (not
# what the tests need, and nothing that starts a service), builds dlrun alone (the release
# preset: no test binaries), makes sure a Docker engine is reachable (starting a private one when
# none is), builds the example image locally (no registry needed) and runs examples/hello.json
# with dlrun. Says each phase's time.
#
# The private engine is the machine's dockerd where it has one. Where it has none, the engine
# runs from a Debian 12 root holding docker.io, made with mmdebstrap (while dlrun builds) and
# kept in /var/cache/dlrun-quickstart (or $DLRUN_QUICKSTART_ROOT_CACHE): installing docker.io on
# the machine would start its service, and a GPU machine's own Docker (Docker CE) conflicts
# with it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/debian-root.sh
unavailable() { echo "quickstart: $*" >&2; exit 1; }

started=$SECONDS
phase_started=$SECONDS
phase() {  # says how long the phase before took
  echo "quickstart: $1 took $((SECONDS - phase_started)) s"
  phase_started=$SECONDS
}

scripts/setup.sh
phase "installing packages"

engine=private
if type -P docker >/dev/null && docker version >/dev/null 2>&1; then
  engine=answering
elif [ "$(id -u)" != 0 ]; then
  unavailable "no Docker engine answers at ${DOCKER_HOST:-/var/run/docker.sock}, and starting a private one needs root: run sudo scripts/quickstart.sh, or start your Docker engine (and join its docker group) and run this again"
elif ! type -P dockerd >/dev/null; then
  engine=from-root
  root_cache=${DLRUN_QUICKSTART_ROOT_CACHE:-/var/cache/dlrun-quickstart}
  echo "quickstart: this machine has no Docker; its engine runs from a Debian 12 root with docker.io, in $root_cache (made beside the build unless there)"
  mkdir -p "$root_cache"
  root_path=$(mktemp)
  bookworm_engine_root "$root_cache" > "$root_path" &
  making_root=$!
fi

cmake --preset release >/dev/null
cmake --build --preset release
phase "building dlrun"

dlrun=build/release/src/dlrun
image=dlrun-example/busybox:1
if [ "$engine" != answering ]; then
  dir=/tmp/dlrun-quickstart
  root_option=()
  if [ "$engine" = from-root ]; then
    wait "$making_root" || unavailable "no Debian root for the engine (see $root_cache/*-mmdebstrap.log)"
    root_option=(--root "$(cat "$root_path")")
    rm -f "$root_path"
    phase "the rest of the Debian root"
  fi
  echo "quickstart: no Docker engine answers at ${DOCKER_HOST:-/var/run/docker.sock}; starting a private one in $dir"
  scripts/private-engine.sh start "$dir" --image "$image" "${root_option[@]}"
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
