#!/usr/bin/env bash
# The quickstart on a machine without Docker, as README says it runs there: it installs no
# engine package (nothing that starts a service), runs its private engine from a Debian 12 root
# made with mmdebstrap, and the hello job finishes on it. The machine's Docker is hidden from
# this script's own mount namespace: overlays on /usr/bin, /usr/sbin and /usr/local/bin whose
# upper layers hold whiteouts of Docker's programs. Needs root and the mirror.
#
#   check-quickstart.sh SOURCE_DIR CACHE   the test (CACHE keeps the Debian root between runs)
#   check-quickstart.sh --prefetch CACHE   only make the cached root (scripts/test.sh)
set -euo pipefail
if [ -z "${DLRUN_QUICKSTART_NS:-}" ] && [ "${1:-}" != --prefetch ] && [ "$(id -u)" = 0 ]; then
  DLRUN_QUICKSTART_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

unavailable() {
  echo "check-quickstart.sh: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "check-quickstart.sh: skipping (under CI=true this fails)" >&2
  exit 77
}
. "$(dirname "$0")/../../scripts/debian-root.sh"
fail() { echo "check-quickstart.sh: $*" >&2; exit 1; }

if [ "${1:-}" = --prefetch ]; then
  bookworm_engine_root "${2:?usage: check-quickstart.sh --prefetch CACHE}" >/dev/null
  exit 0
fi
source_dir=$(realpath "${1:?usage: check-quickstart.sh SOURCE_DIR CACHE}")
cache=$(realpath -m "${2:?usage: check-quickstart.sh SOURCE_DIR CACHE}")
[ "$(id -u)" = 0 ] || unavailable "needs root (mounts, a private engine)"
engine=/tmp/dlrun-quickstart
[ ! -e "$engine" ] || unavailable "a quickstart engine is in $engine: stop it first (scripts/private-engine.sh stop $engine)"

# No Docker on this machine, as far as this namespace sees.
hidden=$(mktemp -d /tmp/dlrun-quickstart-test.XXXXXX)
cleanup() {
  "$source_dir/scripts/private-engine.sh" stop "$engine" || true
  rm -rf "$hidden"
}
trap cleanup EXIT
for bin in /usr/bin /usr/sbin /usr/local/bin; do
  layer="$hidden/${bin//\//-}"
  mkdir -p "$layer/upper" "$layer/work"
  for program in docker dockerd containerd containerd-shim-runc-v2 runc docker-proxy; do
    [ ! -e "$bin/$program" ] || mknod "$layer/upper/$program" c 0 0
  done
  mount -n -t overlay overlay -o "lowerdir=$bin,upperdir=$layer/upper,workdir=$layer/work" "$bin"
done
! type -P docker dockerd >/dev/null || fail "Docker's programs are still on PATH: $(type -P docker dockerd)"

cd "$source_dir"
log="$hidden/quickstart.log"
if ! DLRUN_QUICKSTART_ROOT_CACHE=$cache scripts/quickstart.sh > "$log" 2>&1; then
  tail -30 "$log" >&2
  fail "the quickstart failed (its output's end is above)"
fi
grep -v '^\[' "$log"

# Nothing installed that starts a service: no engine package among what setup.sh installed.
if grep -E '^setup.sh: installing .*\b(docker\.io|containerd|podman|runc)\b' "$log"; then
  fail "the quickstart installed an engine package"
fi
grep -q "its engine runs from a Debian 12 root" "$log" || fail "the quickstart did not take the path of a machine without Docker"
# The job ran, to the end, on the private engine; and that engine is the root's dockerd.
grep -q '^saved /outputs/model.bin' "$log" || fail "the hello job did not finish"
root=$(bookworm_engine_root "$cache")
dockerd_root=$(readlink "/proc/$(cat "$engine/dockerd.pid")/root")
[ "$dockerd_root" = "$root" ] || fail "dockerd runs in $dockerd_root, not in the Debian root $root"

"$source_dir/scripts/private-engine.sh" stop "$engine"
[ ! -e "$engine" ] || fail "stopping the quickstart's engine left $engine"
echo "check-quickstart.sh: the quickstart ran the hello job from a Debian root's engine, installing no engine"
