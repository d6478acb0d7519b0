#!/usr/bin/env bash
# The private Docker engines the integration tests run against (a ctest fixture):
#   DIR/gpu    - with a stand-in for NVIDIA's hook, so GPU requests work end to end
#   DIR/plain  - without it, like a host without the NVIDIA Container Toolkit
# both holding the test image dlrun-test/busybox:1.
#
# usage: engine.sh start DIR | stop DIR
# Exits 77 (ctest: skipped) when this machine cannot run them, except under CI=true, where
# that is a failure.
set -euo pipefail

action=${1:?usage: engine.sh start|stop DIR}
dir=${2:?usage: engine.sh start|stop DIR}
engine="$(dirname "$0")/../../scripts/private-engine.sh"

unavailable() {
  echo "engine.sh: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "engine.sh: skipping the integration tests (under CI=true this fails)" >&2
  exit 77
}

start_one() {
  local status=0
  "$engine" start "$dir/$1" --image dlrun-test/busybox:1 "${@:2}" || status=$?
  [ "$status" = 77 ] && unavailable "cannot start a private dockerd here (root, docker.io and busybox-static are needed)"
  [ "$status" = 0 ] || exit "$status"
}

case "$action" in
  start)
    mkdir -p "$dir"
    start_one gpu --nvidia-hook-double
    start_one plain
    # The ownership test runs dlrun as an unprivileged uid against the GPU engine.
    chmod 666 "$dir/gpu/docker.sock"
    echo "engine.sh: engines up: $dir/gpu/docker.sock (NVIDIA hook stand-in), $dir/plain/docker.sock"
    ;;
  stop)
    "$engine" stop "$dir/gpu"
    "$engine" stop "$dir/plain"
    rm -rf "$dir"
    ;;
  *)
    echo "usage: engine.sh start|stop DIR" >&2
    exit 2
    ;;
esac
