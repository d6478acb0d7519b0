#!/usr/bin/env bash
# Measures dlrun against the docker CLI (Debian's docker.io client) on the same private
# engine, in the same run, alternating the two, and writes docs/performance.md and
# docs/performance.png. Needs root (it starts its own dockerd).
#
#   bench/run.sh             full run (several runs per case; under 5 minutes on 2 cores)
#   bench/run.sh --smoke     one run per case, smaller outputs, no report: keeps the script alive in CI
#   bench/run.sh --dlrun BIN use BIN instead of building the release preset
#   bench/run.sh --only built  one case: a job with a cached build against the plain image
#   bench/run.sh --only ssh    one case: a no-op job over ssh, dlrun against the docker CLI
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
dlrun=""
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) mode=smoke; shift ;;
    --dlrun) dlrun=$(realpath "$2"); shift 2 ;;
    --only) only=(--only "$2"); shift 2 ;;
    *) echo "usage: bench/run.sh [--smoke] [--dlrun BIN] [--only built|ssh]" >&2; exit 2 ;;
  esac
done

for tool in hyperfine gnuplot python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/setup.sh --test installs it)" >&2; exit 1; }
done
if [ -z "$dlrun" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release >/dev/null
  dlrun=$PWD/build/release/src/dlrun
fi

engine_dir=/tmp/dlrun-bench
podman_dir=/tmp/dlrun-bench-podman
ssh_dir=/tmp/dlrun-bench-ssh
cleanup() {
  scripts/private-engine.sh stop "$engine_dir"
  scripts/private-engine.sh stop "$podman_dir"
  scripts/loopback-sshd.sh stop "$ssh_dir/sshd"
  umount "$ssh_dir/netns" 2>/dev/null || true
  rm -rf "$ssh_dir"
}
trap cleanup EXIT
scripts/private-engine.sh start "$engine_dir" --image dlrun-test/busybox:1
# The same jobs on Podman's service, against podman run.
scripts/private-engine.sh start "$podman_dir" --podman --image dlrun-test/busybox:1
# The same engine behind ssh (an sshd on the loopback of a network namespace of its own, and a
# client config without ControlMaster), against the docker CLI over the same ssh.
rm -rf "$ssh_dir" && mkdir -p "$ssh_dir" && touch "$ssh_dir/netns"
unshare --net="$ssh_dir/netns" true
nsenter --net="$ssh_dir/netns" -- ip link set lo up
scripts/loopback-sshd.sh start "$ssh_dir/sshd" 2222 "$ssh_dir/netns" "unix://$engine_dir/docker.sock"

# The newest docker CLI first on PATH, when it is not Debian's: what Docker CE users have.
newest=$(command -v docker || true)
[ "$(realpath "$newest" 2>/dev/null)" = "$(realpath /usr/bin/docker)" ] && newest=""
DLRUN="$dlrun" DOCKER=/usr/bin/docker DOCKER_NEW="$newest" DOCKER_HOST="unix://$engine_dir/docker.sock" \
  PODMAN_HOST="unix://$podman_dir/podman.sock" \
  SSH_NETNS="$ssh_dir/netns" SSH_PATH="$ssh_dir/sshd/bin" \
  SSH_HOST="ssh://root@$(cat "$ssh_dir/sshd/address")" \
  python3 bench/bench.py --mode "$mode" "${only[@]}" --report docs/performance.md --chart docs/performance.png
