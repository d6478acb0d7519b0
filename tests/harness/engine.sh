#!/usr/bin/env bash
# Starts (or stops) the private Docker engines the integration tests run against:
#   gpu    - dockerd with a test double of nvidia-container-runtime-hook on its PATH, so it
#            registers its NVIDIA device driver and honours GPU requests end to end
#   plain  - dockerd without it, like a host without the NVIDIA Container Toolkit
# Each has its own socket, data-root and exec-root under DIR, and the test image
# dlrun-test/busybox:1, imported from Debian's busybox-static (no registry needed).
#
# usage: engine.sh start DIR | stop DIR
# Exit 77 (skipped) when the machine cannot run them, unless CI=true: there it is a failure.
set -euo pipefail

action=${1:?usage: engine.sh start|stop DIR}
dir=${2:?usage: engine.sh start|stop DIR}
image=dlrun-test/busybox:1

unavailable() {
  echo "engine.sh: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "engine.sh: skipping the integration tests (CI would fail here)" >&2
  exit 77
}

stop_daemon() {
  local name=$1 pidfile="$dir/$1/dockerd.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  # Containers first, so that nothing of a failed test outlives the engine.
  local ids
  ids=$(docker -H "unix://$dir/$name.sock" ps -aq 2>/dev/null || true)
  [ -z "$ids" ] || docker -H "unix://$dir/$name.sock" rm -f $ids >/dev/null 2>&1 || true
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

stop_all() {
  stop_daemon gpu
  stop_daemon plain
  # Mounts left by overlay2 or containerd would make the directory impossible to remove.
  if [ -d "$dir" ]; then
    { grep -o " $dir/[^ ]*" /proc/mounts || true; } | sort -r | while read -r mount; do
      umount -l "$mount" 2>/dev/null || true
    done
    rm -rf "$dir"
  fi
}

make_hook_double() {
  mkdir -p "$dir/hookbin" "$dir/hook-calls"
  cat > "$dir/hookbin/nvidia-container-runtime-hook" <<HOOK
#!/bin/sh
# Test double of NVIDIA's OCI prestart hook: records what it was asked for, and fails like
# the real one when \$dir/hook-fail exists.
state=\$(cat)
call="$dir/hook-calls/\$\$"
printf '%s\n' "\$state" > "\$call.state.json"
bundle=\$(printf '%s' "\$state" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
[ -f "\$bundle/config.json" ] && cp "\$bundle/config.json" "\$call.config.json"
if [ -f "$dir/hook-fail" ]; then
  echo "nvidia-container-cli: initialization error: nvml error: driver not loaded" >&2
  exit 1
fi
exit 0
HOOK
  chmod 755 "$dir/hookbin/nvidia-container-runtime-hook"
}

start_daemon() {
  local name=$1 path_prefix=$2
  mkdir -p "$dir/$name/data" "$dir/$name/exec"
  PATH="$path_prefix$PATH" dockerd \
    --host "unix://$dir/$name.sock" \
    --data-root "$dir/$name/data" --exec-root "$dir/$name/exec" \
    --pidfile "$dir/$name/dockerd.pid" \
    --bridge none --iptables=false --ip-masq=false \
    > "$dir/$name/dockerd.log" 2>&1 &
  for _ in $(seq 1 150); do
    if docker -H "unix://$dir/$name.sock" version >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  tail -20 "$dir/$name/dockerd.log" >&2
  unavailable "dockerd ($name) did not come up; its log is above"
}

import_image() {
  local name=$1
  docker -H "unix://$dir/$name.sock" import \
    --change 'CMD ["sh"]' --change 'ENV PATH=/bin' "$dir/rootfs.tar" "$image" >/dev/null
}

make_rootfs() {
  local root="$dir/rootfs"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/home"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
  echo "root:x:0:" > "$root/etc/group"
  tar -C "$root" -cf "$dir/rootfs.tar" .
}

case "$action" in
  start)
    [ "$(id -u)" = 0 ] || unavailable "the private engines need root (dockerd), and this runs as $(id -un)"
    command -v dockerd >/dev/null || unavailable "dockerd is missing: apt-get install docker.io"
    command -v docker >/dev/null || unavailable "the docker CLI is missing: apt-get install docker.io"
    [ -x /bin/busybox ] || unavailable "busybox is missing: apt-get install busybox-static"
    stop_all
    mkdir -p "$dir"
    make_hook_double
    make_rootfs
    start_daemon gpu "$dir/hookbin:"
    start_daemon plain ""
    import_image gpu
    import_image plain
    # The ownership test runs dlrun as an unprivileged uid against this daemon.
    chmod 666 "$dir/gpu.sock"
    echo "engine.sh: engines up in $dir (gpu.sock with the NVIDIA hook double, plain.sock without)"
    ;;
  stop)
    stop_all
    ;;
  *)
    echo "usage: engine.sh start|stop DIR" >&2
    exit 2
    ;;
esac
