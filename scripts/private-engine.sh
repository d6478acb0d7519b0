#!/usr/bin/env bash
# A private Docker engine for trying dlrun out and for its tests: Debian's dockerd and its own
# containerd, with their socket, data and state under DIR, and a small image imported from a
# busybox-static root filesystem, so nothing needs a registry.
#
#   private-engine.sh start DIR [--image NAME] [--nvidia-hook-double] [--tls-port PORT] [--netns FILE]
#                               [--restricted] [--buildkit] [--podman [--rootless UID]]
#                               [--root ROOT] [--cdi SPEC_DIR]
#   private-engine.sh stop DIR
#   private-engine.sh import-image NAME     (into the engine DOCKER_HOST names)
#
# --restricted runs the engine as rootless and hardened daemons run: without CAP_SYS_RESOURCE
# and with an 8 MiB locked-memory limit, so that it refuses to raise a container's memlock
# whatever the machine (the tests of dlrun's defaults that give way rely on it).
#
# The socket is DIR/docker.sock. The engine changes nothing of the machine outside DIR (but for
# what any dockerd may have the kernel load: the modules overlay, bridge and veth, and the
# AppArmor profile docker-default): it runs in namespaces of its own (PID, mount and network),
# so that
#   - its network (the default bridge docker0, routes, sysctls) is the namespace's, not the
#     host's; the host's docker0 and iptables are never touched. Its containers reach nothing
#     outside the namespace. --netns FILE joins a network namespace bound at FILE instead (the
#     test fixture shares one between its engines, registry and sshd), where TCP listeners such
#     as --tls-port's are reachable with `nsenter --net=FILE`;
#   - it sees a /run of its own (the host's entries, but not those of the host's Docker,
#     containerd or D-Bus): it never finds the host's containerd or docker.sock, and containerd's
#     shim sockets stay private; its mounts (overlay2, container roots) never reach the host;
#   - its containers' cgroups are under a parent of its own, dlrun-engine-DIR (/ as -)-HASH,
#     removed on stop;
#   - dockerd reads DIR/daemon.json, not /etc/docker/daemon.json, and keeps its key in DIR.
# Stopping it ends its PID namespace, which ends every process it started (dockerd, containerd,
# shims, containers) and with them its mounts; then DIR is removed. DIR/dockerd.pid holds
# dockerd's pid as the host sees it (a test kills dockerd by it).
#
# --podman runs Podman's Docker-compatible service (`podman system service`, Debian's podman and
# conmon) instead, in the same namespaces, its socket DIR/podman.sock: its storage, run root,
# configuration (containers.conf, storage.conf, registries.conf) and network state are under DIR,
# and it sees a /var/lib of its own (without the host's containers/ and cni/), so that nothing
# of the host's Podman is read or written. Its containers' cgroups are under /libpod_parent
# (Podman's, for the cgroupfs manager), removed on stop unless the host had it before.
# --rootless UID runs it as that ordinary user instead, as `systemctl --user start podman.socket`
# does: the user (dlrun-rootless) and its subordinate ids (/etc/subuid, /etc/subgid) exist in
# the engine's mount namespace alone, as do its XDG_RUNTIME_DIR (/run/user/UID) and a
# /dev/net/tun that users may open (slirp4netns needs it; some sandboxes make it root's only).
# DIR belongs to the user; its socket is DIR/podman.sock.
#
# --root ROOT runs the engine's daemons from a Debian root filesystem (made with mmdebstrap, as
# the tests' trixie root and the quickstart's root on a machine without Docker are) instead of
# the machine's; DIR must then be under /tmp, which the root sees. The root is only read: its
# /run and its engines' state under /var/lib are the namespace's own. --cdi SPEC_DIR turns CDI
# on, its specs read from SPEC_DIR.
#
# --nvidia-hook-double puts a stand-in for NVIDIA's nvidia-container-runtime-hook on dockerd's
# PATH: dockerd then registers its NVIDIA device driver and honours GPU requests, and the
# stand-in records each call under DIR/hook-calls (and fails as the real one does for a
# container whose environment has DLRUN_TEST_HOOK_FAIL=1). --tls-port also listens on
# tcp://127.0.0.1:PORT (in the engine's network namespace) with TLS and client certificates
# (--tlsverify): a CA and the daemon's certificate are made under DIR/tls, and a client's in
# DIR/tls/client (ca.pem, cert.pem, key.pem: a DOCKER_CERT_PATH). Needs root.
set -euo pipefail

usage() {
  echo "usage: private-engine.sh start DIR [--image NAME] [--nvidia-hook-double] [--tls-port PORT] [--netns FILE] [--restricted] [--buildkit] [--podman [--rootless UID]] [--root ROOT] [--cdi SPEC_DIR] | stop DIR | import-image NAME" >&2
  exit 2
}
action=${1:-}; dir=${2:-}
[ -n "$action" ] && [ -n "$dir" ] || usage
shift 2
if [ "$action" = start ] || [ "$action" = stop ] || [ "$action" = in-namespace ]; then
  dir=$(realpath -m -- "$dir")
fi

socket="$dir/docker.sock"
[ -f "$dir/podman" ] && socket="$dir/podman.sock"
# The cgroup parent of the engine's containers: its own, so that nothing of it mixes with the
# host's Docker (/docker) and stop can remove it. Named after DIR (/ as -), and a hash of it.
cgroup_parent="dlrun-engine${dir//\//-}-$(printf '%s' "$dir" | sha256sum | cut -c1-8)"

# The docker CLI: the machine's, or else the --root's (a machine without Docker runs the
# quickstart's engine from a root; its CLI needs no more than the machine's libc).
docker() {
  if type -P docker >/dev/null; then
    command docker "$@"
  elif [ -f "$dir/root" ]; then
    "$(cat "$dir/root")/usr/bin/docker" "$@"
  else
    echo "private-engine.sh: docker (the CLI) is missing: apt-get install docker.io" >&2
    return 127
  fi
}

# Prints the start time (clock ticks after boot) of process $1, which tells it apart from a
# later process that reuses its pid.
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # Fields after the command name, which is in parentheses and may hold spaces.
  set -- ${stat##*) }
  echo "${20}"
}

# Prints the pid recorded in file $1 ("PID START_TIME") when that process still runs.
recorded_pid() {
  local pid started state
  [ -f "$1" ] || return 1
  read -r pid started < "$1" || return 1
  [ "$(start_time "$pid")" = "$started" ] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ] && echo "$pid"
}

# Waits up to $2 tenths of a second for process $1 to end.
wait_gone() {
  local state
  for _ in $(seq 1 "$2"); do
    state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 0
    [ -n "$state" ] && [ "$state" != Z ] || return 0
    sleep 0.1
  done
  return 1
}

# Writes DIR/dockerd.pid: of the init's children, the one whose pid in the engine's namespace
# is the one dockerd wrote.
record_dockerd_pid() {
  local init ns_pid proc
  init=$(recorded_pid "$dir/engine.pid") || return 0
  ns_pid=$(cat "$dir/exec/dockerd.pid" 2>/dev/null) || return 0
  for proc in /proc/[0-9]*; do
    awk -v init="$init" -v ns_pid="$ns_pid" '
      $1 == "PPid:" && $2 != init { exit }
      $1 == "NSpid:" && $NF == ns_pid { found = 1 }
      END { exit !found }' "$proc/status" 2>/dev/null || continue
    echo "${proc#/proc/}" > "$dir/dockerd.pid"
    return 0
  done
}

# Removes the cgroups the engine's containers had (under $1, the engine's parent), in every
# cgroup hierarchy.
remove_cgroups() {
  local root parent=${1:-$cgroup_parent}
  findmnt -rn -t cgroup,cgroup2 -o TARGET | while read -r root; do
    [ -d "$root/$parent" ] || continue
    for _ in $(seq 1 50); do
      find "$root/$parent" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ -d "$root/$parent" ] || break
      sleep 0.1
    done
    [ ! -d "$root/$parent" ] || echo "private-engine.sh: could not remove $root/$parent" >&2
  done
}

# Podman's configuration, all of it pointing under DIR. cgroupfs: no systemd to ask; runc:
# Debian 13's crun refuses a host with cgroup v1 and v2 mixed, as these machines have them.
write_podman_config() {
  # Podman 5 (a --root's) has only netavark; Debian 12's 4.3 has CNI's plugins installed.
  local network_backend=cni
  # netavark's default firewall is nftables, which the root need not have; iptables it has.
  local firewall_line=""
  if [ -n "$root" ]; then network_backend=netavark; firewall_line='firewall_driver = "iptables"'; fi
  mkdir -p "$dir/podman-root" "$dir/podman-run" "$dir/podman-tmp" "$dir/cni" "$dir/volumes"
  cat > "$dir/storage.conf" <<CONFIG
[storage]
driver = "overlay"
graphroot = "$dir/podman-root"
runroot = "$dir/podman-run"
CONFIG
  cat > "$dir/containers.conf" <<CONFIG
[containers]
init_path = "/usr/bin/catatonit"

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/podman-tmp"
volume_path = "$dir/volumes"
image_copy_tmp_dir = "$dir/podman-tmp"

[network]
network_backend = "$network_backend"
$firewall_line
network_config_dir = "$dir/cni"
CONFIG
  # Short names are Docker Hub's, as the Docker API's clients expect; the test registry is HTTP.
  cat > "$dir/registries.conf" <<CONFIG
unqualified-search-registries = ["docker.io"]
short-name-mode = "disabled"
CONFIG
  # DIR/podman marks the engine as Podman's, and says whether the host had Podman's cgroup
  # parent before (stop leaves it then).
  local root
  : > "$dir/podman"
  for root in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
    if [ -d "$root/libpod_parent" ]; then echo "libpod_parent existed" > "$dir/podman"; break; fi
  done
  # Rootless: all of it the user's, where its socket and storage go.
  if [ -f "$dir/rootless" ]; then
    mkdir -p "$dir/home"
    chown -R "$(cat "$dir/rootless"):$(cat "$dir/rootless")" "$dir"
  fi
}

# The engine's /var/lib (under root $1, if given): the host's (or the root's), but for the
# engines' own state (containers/, cni/, docker/, containerd/), which starts empty.
private_var_lib() {
  local var_lib=${1:-}/var/lib
  private_dir "$var_lib" containers cni docker containerd
  mkdir -p "$var_lib/containers" "$var_lib/cni"
}

stop() {
  local init launcher ids
  if init=$(recorded_pid "$dir/engine.pid"); then
    # Containers first, so that dockerd removes them (and their cgroups) itself.
    ids=$(docker -H "unix://$socket" ps -aq 2>/dev/null || true)
    [ -z "$ids" ] || docker -H "unix://$socket" rm -f $ids >/dev/null 2>&1 || true
    # The namespace's init stops dockerd, then containerd.
    kill -TERM "$init" 2>/dev/null || true
    wait_gone "$init" 300 || true
    # Whatever is left ends with the PID namespace, when its init does.
    kill -KILL "$init" 2>/dev/null || true
    wait_gone "$init" 100 || echo "private-engine.sh: the engine's init $init did not end" >&2
  fi
  # The launcher kills the init when it is killed (unshare --kill-child): the way to end an
  # engine whose init never recorded itself.
  if launcher=$(recorded_pid "$dir/launcher.pid"); then
    kill -KILL "$launcher" 2>/dev/null || true
    wait_gone "$launcher" 100 || true
  fi
  remove_cgroups
  if [ -f "$dir/podman" ] && ! grep -q 'libpod_parent existed' "$dir/podman"; then
    remove_cgroups libpod_parent
  fi
  if [ -d "$dir" ]; then
    # The engine's mounts were in its own mount namespace; anything under DIR in this one (a
    # namespace file bound there by a caller) would make DIR impossible to remove.
    findmnt -rn -o TARGET | awk -v under="$dir/" 'index($0, under) == 1' | sort -r | while read -r mount; do
      umount -n -l "$mount" 2>/dev/null || true
    done
    rm -rf "$dir"
  fi
}

write_hook_double() {
  mkdir -p "$dir/hookbin" "$dir/hook-calls"
  cat > "$dir/hookbin/nvidia-container-runtime-hook" <<HOOK
#!/bin/sh
# Stand-in for NVIDIA's OCI prestart hook: records the container state and config it was
# called for, and fails with the real toolkit's words for a container whose environment has
# DLRUN_TEST_HOOK_FAIL=1.
state=\$(cat)
call="$dir/hook-calls/\$\$"
printf '%s\n' "\$state" > "\$call.state.json"
bundle=\$(printf '%s' "\$state" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
[ -f "\$bundle/config.json" ] && cp "\$bundle/config.json" "\$call.config.json"
if grep -q '"DLRUN_TEST_HOOK_FAIL=1"' "\$call.config.json" 2>/dev/null; then
  echo "nvidia-container-cli: initialization error: nvml error: driver not loaded" >&2
  exit 1
fi
exit 0
HOOK
  chmod 755 "$dir/hookbin/nvidia-container-runtime-hook"
}

# A CA, the daemon's certificate for 127.0.0.1 and a client certificate, as Docker's
# "Protect the Docker daemon socket" guide makes them.
write_tls_material() {
  local tls="$dir/tls"
  mkdir -p "$tls/client"
  (
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dlrun-test-ca" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
      -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile server.ext -out server-cert.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=dlrun-test-client" \
      -keyout client/key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage = clientAuth\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile client.ext -out client/cert.pem 2>/dev/null
    cp ca.pem client/ca.pem
  )
  echo "127.0.0.1:$tls_port" > "$tls/address"
}

# Imports a busybox root filesystem as image $2 into the engine at $1 (a DOCKER_HOST value).
import_busybox() {
  local host=$1 name=$2 root
  root=$(mktemp -d)
  # mktemp's 0700 would be the image's /: no user but root could reach /bin.
  chmod 755 "$root"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/home"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
  echo "root:x:0:" > "$root/etc/group"
  tar -C "$root" -c . | docker -H "$host" import \
    --change 'CMD ["sh"]' --change 'ENV PATH=/bin' - "$name" >/dev/null
  rm -rf "$root"
}

# containerd's configuration: everything it keeps under DIR/containerd (its default opt
# directory would be /opt/containerd), and no CRI.
write_containerd_config() {
  mkdir -p "$dir/containerd"
  cat > "$dir/containerd/config.toml" <<CONFIG
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$dir/containerd/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
CONFIG
}

# The engine's own /run: a tmpfs holding the host's entries, bound back, except the host
# Docker's and containerd's (so that dockerd never finds their sockets, and containerd's shim
# sockets, always under /run/containerd/s, stay private) and D-Bus (so that dockerd never asks
# the host's firewalld or systemd for anything).
private_run() {
  private_dir /run docker docker.sock docker.pid containerd dbus
}

# Makes directory $1 the engine's own: a tmpfs holding the host's entries, bound back, but for
# those named after it, which the engine does not see.
private_dir() {
  local target=$1 entry name
  shift
  local host_copy="$dir/namespace/host${target//\//-}"
  mkdir -p "$host_copy"
  mount -n --rbind "$target" "$host_copy"
  mount -n -t tmpfs -o mode=755 tmpfs "$target"
  for entry in "$host_copy"/* "$host_copy"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry##*/}
    case " $* " in *" $name "*) continue ;; esac
    if [ -L "$entry" ]; then
      cp -P "$entry" "$target/$name"
    elif [ -d "$entry" ]; then
      mkdir "$target/$name" && mount -n --rbind "$entry" "$target/$name"
    else
      touch "$target/$name" && mount -n --bind "$entry" "$target/$name"
    fi
  done
}

# Readies root filesystem $1 (--root) for the engine to run in: the namespace's /proc, /sys, /dev
# and /tmp (where DIR is), a /run of its own, and a /var/lib whose engine state starts empty, so
# that nothing of the engine is written into the root itself. The machine's other top-level
# directories (/home, /root, /srv, /work, …) are bound in, so that a job's mounts and outputs
# name the machine's paths as with any engine; only the root's system (/usr, /etc, /var, …) is
# its own. A directory the root lacks gets an empty mount point there.
enter_root() {
  local root=$1 name path
  # A mount of its own: dockerd makes / private for its chroot'd image unpacking.
  mount -n --bind "$root" "$root"
  for name in proc sys dev tmp; do mount -n --rbind "/$name" "$root/$name"; done
  for path in /*/; do
    name=${path//\//}
    case "$name" in
      proc | sys | dev | tmp | run | bin | sbin | lib | lib32 | lib64 | libx32 | usr | etc | var | boot | lost+found) continue ;;
    esac
    [ -L "/$name" ] && continue
    mkdir -p "$root/$name"
    mount -n --rbind "/$name" "$root/$name"
  done
  mount -n -t tmpfs -o mode=755 tmpfs "$root/run"
  private_var_lib "$root"
}

# PID 1 of the engine's namespaces, given dockerd's command line: runs containerd and dockerd
# and, on SIGTERM, stops dockerd and then containerd. When it ends, the kernel ends every other
# process of the namespace (shims, containers) and the mount namespace goes with them.
in_namespace() {
  local self containerd_pid dockerd_pid
  # /proc is still the host's here, so this is the pid the host sees.
  read -r self _ < /proc/self/stat
  echo "$self $(start_time "$self")" > "$dir/engine.pid"
  mount -n -t proc proc /proc
  private_run
  ip link set lo up
  local in_root=()
  if [ -f "$dir/root" ]; then
    enter_root "$(cat "$dir/root")"
    in_root=(chroot "$(cat "$dir/root")")
  fi
  if [ "$1" = podman ]; then
    [ ${#in_root[@]} -gt 0 ] || private_var_lib
    # Podman's service reads CDI specs from /etc/cdi and /var/run/cdi (containers.conf's
    # cdi_spec_dirs does not reach it): --cdi's directory is its /var/run/cdi.
    if [ -f "$dir/cdi-dir" ]; then
      local run_dir=/run
      [ ${#in_root[@]} -eq 0 ] || run_dir="$(cat "$dir/root")/run"
      mkdir -p "$run_dir/cdi"
      mount -n --bind "$(cat "$dir/cdi-dir")" "$run_dir/cdi"
    fi
    local as_user=()
    if [ -f "$dir/rootless" ]; then
      local uid
      uid=$(cat "$dir/rootless")
      rootless_user "$uid"
      as_user=(setpriv --reuid "$uid" --regid "$uid" --clear-groups
        env HOME="$dir/home" XDG_RUNTIME_DIR="/run/user/$uid" USER=dlrun-rootless)
    fi
    "${in_root[@]}" "${as_user[@]}" "$@" &
    dockerd_pid=$!
    trap 'kill -TERM "$dockerd_pid" 2>/dev/null || true' TERM INT
    while kill -0 "$dockerd_pid" 2>/dev/null; do wait "$dockerd_pid" || true; done
    return 0
  fi
  "${in_root[@]}" containerd --config "$dir/containerd/config.toml" > "$dir/containerd.log" 2>&1 &
  containerd_pid=$!
  for _ in $(seq 1 100); do [ -S "$dir/containerd/containerd.sock" ] && break; sleep 0.1; done
  "${in_root[@]}" "$@" &
  dockerd_pid=$!
  trap 'kill -TERM "$dockerd_pid" 2>/dev/null || true' TERM INT
  while kill -0 "$dockerd_pid" 2>/dev/null; do wait "$dockerd_pid" || true; done
  kill -TERM "$containerd_pid" 2>/dev/null || true
  while kill -0 "$containerd_pid" 2>/dev/null; do wait "$containerd_pid" || true; done
}

# --rootless's user $1, in the engine's mount namespace only: an account with subordinate ids,
# its runtime directory, and a /dev/net/tun it may open.
rootless_user() {
  local uid=$1 file
  mkdir -p "$dir/namespace/etc" "$dir/namespace/dev"
  cp /etc/passwd /etc/group "$dir/namespace/etc/"
  echo "dlrun-rootless:x:$uid:$uid:dlrun rootless engine:$dir/home:/bin/sh" >> "$dir/namespace/etc/passwd"
  echo "dlrun-rootless:x:$uid:" >> "$dir/namespace/etc/group"
  echo "dlrun-rootless:200000:65536" > "$dir/namespace/etc/subuid"
  cp "$dir/namespace/etc/subuid" "$dir/namespace/etc/subgid"
  for file in passwd group subuid subgid; do
    [ -e "/etc/$file" ] || { echo "private-engine.sh: --rootless needs /etc/$file to bind over" >&2; exit 1; }
    mount -n --bind "$dir/namespace/etc/$file" "/etc/$file"
  done
  mount -n -t tmpfs -o mode=755 tmpfs "$dir/namespace/dev"
  mknod -m 666 "$dir/namespace/dev/tun" c 10 200
  mount -n --bind "$dir/namespace/dev/tun" /dev/net/tun
  mkdir -p /run/user
  mount -n -t tmpfs -o mode=755 tmpfs /run/user
  mkdir -m 700 "/run/user/$uid"
  chown "$uid:$uid" "/run/user/$uid"
}

# Waits up to 30 s for the engine's socket to answer, then imports --image into it; or shows
# the tail of log $1, says $2 and fails, once the launcher is gone or the time is up.
await_engine() {
  for _ in $(seq 1 150); do
    if docker -H "unix://$socket" version >/dev/null 2>&1; then
      [ -z "$image" ] || import_busybox "unix://$socket" "$image"
      return 0
    fi
    recorded_pid "$dir/launcher.pid" >/dev/null || break
    sleep 0.2
  done
  tail -20 "$1" >&2
  echo "private-engine.sh: $2" >&2
  exit 1
}

# Podman's service in the engine's namespaces (start's options as set there).
start_podman() {
  write_podman_config
  socket="$dir/podman.sock"
  local enter=() new_netns=(--net)
  if [ -n "$netns" ]; then enter=(nsenter "--net=$netns" --); new_netns=(); fi
  env -u NOTIFY_SOCKET -u DBUS_SYSTEM_BUS_ADDRESS -u XDG_RUNTIME_DIR \
    CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf" \
    CONTAINERS_REGISTRIES_CONF="$dir/registries.conf" \
    "${enter[@]}" "${restricted[@]}" unshare "${new_netns[@]}" --mount --propagation slave --pid --fork --kill-child \
    "$(realpath "$0")" in-namespace "$dir" podman system service --time=0 "unix://$socket" \
    > "$dir/podman.log" 2>&1 < /dev/null &
  echo "$! $(start_time $!)" > "$dir/launcher.pid"
  await_engine "$dir/podman.log" "podman system service did not come up; its log is above"
}

start() {
  local image="" hook_double=false tls_port="" netns="" restricted=() buildkit=false podman=false
  local root="" cdi="" rootless=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --image) image=${2:?--image needs a name}; shift 2 ;;
      --nvidia-hook-double) hook_double=true; shift ;;
      --tls-port) tls_port=${2:?--tls-port needs a port}; shift 2 ;;
      --netns) netns=${2:?--netns needs a file}; shift 2 ;;
      --restricted) restricted=(setpriv --bounding-set=-sys_resource prlimit --memlock=8388608:8388608 --); shift ;;
      --buildkit) buildkit=true; shift ;;
      --podman) podman=true; shift ;;
      --root) root=$(realpath "${2:?--root needs a directory}"); shift 2 ;;
      --cdi) cdi=$(realpath -m "${2:?--cdi needs a directory}"); shift 2 ;;
      --rootless) rootless=${2:?--rootless needs a uid}; shift 2 ;;
      *) usage ;;
    esac
  done
  [ "$(id -u)" = 0 ] || { echo "private-engine.sh: dockerd needs root" >&2; exit 77; }
  local tool daemons=(dockerd containerd)
  $podman && daemons=(podman conmon catatonit)
  if [ -n "$rootless" ]; then
    $podman && [ -z "$root" ] || { echo "private-engine.sh: --rootless is for Debian 12's --podman" >&2; exit 2; }
    daemons+=(newuidmap newgidmap slirp4netns setpriv)
  fi
  if [ -n "$root" ]; then
    case "$dir" in /tmp/*) ;; *) echo "private-engine.sh: --root needs DIR under /tmp" >&2; exit 2 ;; esac
    for tool in "${daemons[@]}"; do
      [ -x "$root/usr/bin/$tool" ] || [ -x "$root/usr/sbin/$tool" ] \
        || { echo "private-engine.sh: $root has no $tool" >&2; exit 77; }
    done
    [ -x "$root/usr/bin/docker" ] || type -P docker >/dev/null \
      || { echo "private-engine.sh: neither this machine nor $root has docker (the CLI)" >&2; exit 77; }
    daemons=()
  fi
  [ -n "$root" ] || type -P docker >/dev/null || daemons+=(docker)
  for tool in "${daemons[@]}" unshare nsenter findmnt ip; do
    type -P "$tool" >/dev/null \
      || { echo "private-engine.sh: $tool is missing: scripts/setup.sh installs it" >&2; exit 77; }
  done
  if [ -n "$image" ] && [ ! -x /bin/busybox ]; then
    echo "private-engine.sh: busybox is missing: apt-get install busybox-static" >&2; exit 77
  fi
  stop
  mkdir -p "$dir/data" "$dir/exec"
  [ -z "$root" ] || echo "$root" > "$dir/root"
  [ -z "$cdi" ] || echo "$cdi" > "$dir/cdi-dir"
  [ -z "$rootless" ] || echo "$rootless" > "$dir/rootless"
  if $podman; then
    start_podman
    return
  fi
  local path_prefix="" tls_args=()
  if $hook_double; then write_hook_double; path_prefix="$dir/hookbin:"; fi
  if [ -n "$tls_port" ]; then
    command -v openssl >/dev/null || { echo "private-engine.sh: openssl is missing: apt-get install openssl" >&2; exit 77; }
    write_tls_material
    tls_args=(--host "tcp://127.0.0.1:$tls_port" --tlsverify --tlscacert "$dir/tls/ca.pem"
      --tlscert "$dir/tls/server-cert.pem" --tlskey "$dir/tls/server-key.pem")
  fi
  write_containerd_config
  # The key dockerd 20.10 would otherwise create as /etc/docker/key.json has no flag.
  # --buildkit: BuildKit as the daemon's builder (Docker 23 and later have it by default).
  # --cdi: CDI on (Docker 25 to 28.1 have it behind this feature), its specs read from there.
  local features=() extra=""
  $buildkit && features+=('"buildkit": true')
  if [ -n "$cdi" ]; then
    features+=('"cdi": true')
    extra=", \"cdi-spec-dirs\": [\"$cdi\"]"
  fi
  [ ${#features[@]} -eq 0 ] || extra="$extra, \"features\": {$(IFS=,; echo "${features[*]}")}"
  printf '{"deprecated-key-path": "%s/key.json"%s}\n' "$dir" "$extra" > "$dir/daemon.json"
  # In its own network namespace the engine keeps its default bridge (jobs with "network":
  # "bridge" work) and IP forwarding (a sysctl of that namespace alone; without it dockerd warns
  # on every such job). No iptables: the namespace has no way out to masquerade to, and without
  # them dockerd loads no br_netfilter, which would change how the host's own bridges filter.
  local dockerd_args=(dockerd
    --config-file "$dir/daemon.json" --containerd "$dir/containerd/containerd.sock"
    --host "unix://$socket" --data-root "$dir/data" --exec-root "$dir/exec"
    --pidfile "$dir/exec/dockerd.pid" --exec-opt native.cgroupdriver=cgroupfs
    --cgroup-parent "/$cgroup_parent" --iptables=false --ip-masq=false
    "${tls_args[@]}")
  local enter=() new_netns=(--net)
  if [ -n "$netns" ]; then enter=(nsenter "--net=$netns" --); new_netns=(); fi
  # No NOTIFY_SOCKET or D-Bus address of a caller's service manager reaches the engine.
  env -u NOTIFY_SOCKET -u DBUS_SYSTEM_BUS_ADDRESS PATH="$path_prefix$PATH" \
    "${enter[@]}" "${restricted[@]}" unshare "${new_netns[@]}" --mount --propagation slave --pid --fork --kill-child \
    "$(realpath "$0")" in-namespace "$dir" "${dockerd_args[@]}" > "$dir/dockerd.log" 2>&1 < /dev/null &
  echo "$! $(start_time $!)" > "$dir/launcher.pid"
  await_engine "$dir/dockerd.log" \
    "dockerd did not come up; its log is above (containerd's: $dir/containerd.log)"
  record_dockerd_pid
}

case "$action" in
  start) start "$@" ;;
  stop) [ $# -eq 0 ] || usage; stop ;;
  in-namespace) in_namespace "$@" ;;
  import-image) import_busybox "${DOCKER_HOST:-unix:///var/run/docker.sock}" "$dir" ;;
  *) usage ;;
esac
