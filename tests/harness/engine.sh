#!/usr/bin/env bash
# The private Docker engines the integration tests run against (a ctest fixture):
#   DIR/gpu    - with a stand-in for NVIDIA's hook, so GPU requests work end to end
#   DIR/plain  - without it, like a host without the NVIDIA Container Toolkit, and with BuildKit
#            as its builder (as Docker 23 and later have it); it also listens
#            on tcp://127.0.0.1:PORT+1 with TLS and client certificates (DIR/plain/tls/client)
# both holding the test image dlrun-test/busybox:1 (the GPU engine also dlrun-test/cuda12.4:1,
# which requires CUDA 12.4 the way nvidia/cuda images do), and
#   DIR/podman - Podman 4.3's Docker-compatible service (podman system service), holding
#            dlrun-test/busybox:1, for the core job tests that run on every engine
#   DIR/podman-rootless - the same, run by an ordinary user (uid 4600) as rootless Podman is
#   DIR/cdi    - Docker 26 from Debian 13 (trixie) with CDI on, and
#   DIR/podman5 - Podman 5 from trixie, both run from a trixie root made with mmdebstrap
#            (cached in CACHE), both reading DIR/cdi-specs: a CDI spec of fake NVIDIA GPUs
#            (nvidia.com/gpu 0, 1, a UUID, MIG 0:1, all) whose edits a container shows: a
#            variable, a device node and a mount per GPU (write_fake_cdi_spec)
#   DIR/registry - Debian's docker-registry on 127.0.0.1:PORT with htpasswd auth, holding
#            dlrun-test/busybox:1 and dlrun-test/payload:1 (a 64 MB random layer the engines
#            lack); its address, user and password are in DIR/registry/{address,user,password}
#   DIR/sshd   - Debian's sshd on 127.0.0.1:PORT+2 with a key for root, so that ssh:// daemons
#            work end to end: DIR/sshd/bin/ssh is ssh with that key and config
#            (put it first on PATH), DIR/sshd/address the host and port. Its sessions find
#            a stand-in nvidia-smi (two GPUs, driver 550.54.14) first on their PATH, and
#            DOCKER_HOST naming the plain engine; each `dial-stdio` is noted in
#            DIR/sshd/dial-stdio.log. On PORT+7 (DIR/sshd/address-no-forwarding) the same sshd
#            refuses to forward Unix sockets.
#   DIR/netns  - the network namespace all of them run in, so that they change nothing of the
#            host's network: 127.0.0.1 above is its loopback. The unix sockets work from
#            anywhere; a test that connects over TCP runs in it (tests/harness/in-engine-netns.sh,
#            or `nsenter --net=DIR/netns`). Nothing is left outside DIR, and stop removes DIR.
#
#   DIR/packages - the build tests' Debian image, archive proxy and pip index (start_packages)
#   DIR/slurm  - a one-node Slurm cluster with four fake GPUs (start_slurm); DIR/slurm/slurm.conf
#
# usage: engine.sh start DIR PORT [CACHE] | stop DIR | prefetch CACHE
# Exits 77 (ctest: skipped) when this machine cannot run them, except under CI=true, where
# that is a failure.
set -euo pipefail

action=${1:?usage: engine.sh start|stop DIR}
dir=${2:?usage: engine.sh start|stop DIR}
engine="$(dirname "$0")/../../scripts/private-engine.sh"
netns="$dir/netns"

unavailable() {
  echo "engine.sh: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "engine.sh: skipping the integration tests (under CI=true this fails)" >&2
  exit 77
}

# mirror_url and debian_root: Debian roots from this machine's mirror, cached.
. "$(dirname "$0")/../../scripts/debian-root.sh"

# A network namespace of the fixture's own, bound at DIR/netns, with its loopback up.
make_netns() {
  [ "$(id -u)" = 0 ] || unavailable "the private engines need root"
  command -v unshare >/dev/null && command -v nsenter >/dev/null && command -v ip >/dev/null \
    || unavailable "unshare, nsenter or ip is missing: apt-get install util-linux iproute2"
  touch "$netns"
  unshare --net="$netns" true || unavailable "cannot make a network namespace here"
  in_netns ip link set lo up
  # The fixture's listeners use ports from 30000 up; the namespace's own connections (a push to
  # the registry, sshd's tests) take source ports elsewhere, so no port a daemon is about to
  # listen on lingers in TIME_WAIT (slurmctld does not bind through one).
  in_netns sh -c 'echo "51000 60999" > /proc/sys/net/ipv4/ip_local_port_range'
}

in_netns() {
  nsenter --net="$netns" -- "$@"
}

# Ends every process in the fixture's network namespace (the registry, sshd and its sessions,
# and whatever an engine's stop left), then the namespace itself.
stop_netns() {
  [ -e "$netns" ] || return 0
  if [ "$(stat -f -c %T "$netns")" = nsfs ]; then
    local id signal proc left
    id="net:[$(stat -L -c %i "$netns")]"
    for signal in TERM KILL; do
      left=false
      for proc in /proc/[0-9]*; do
        [ "$(readlink "$proc/ns/net" 2>/dev/null)" = "$id" ] || continue
        kill -"$signal" "${proc#/proc/}" 2>/dev/null && left=true
      done
      $left || break
      sleep 1
    done
    umount -n "$netns"
  fi
  rm -f "$netns"
}

stop_all() {
  if [ -f "$dir/packages/archive-bridge.pid" ]; then
    kill "$(cat "$dir/packages/archive-bridge.pid")" 2>/dev/null || true
  fi
  "$engine" stop "$dir/gpu"
  "$engine" stop "$dir/plain"
  "$engine" stop "$dir/podman"
  "$engine" stop "$dir/podman-rootless"
  "$engine" stop "$dir/cdi"
  "$engine" stop "$dir/podman5"
  stop_netns
  rm -rf "$dir"
}

start_one() {
  local status=0
  "$engine" start "$dir/$1" --netns "$netns" --image dlrun-test/busybox:1 "${@:2}" || status=$?
  [ "$status" = 77 ] && unavailable "cannot start a private engine here (root, docker.io, podman, catatonit and busybox-static are needed)"
  [ "$status" = 0 ] || exit "$status"
}

start_registry() {
  local port=$1 reg="$dir/registry"
  command -v docker-registry >/dev/null || unavailable "docker-registry is missing: apt-get install docker-registry"
  command -v htpasswd >/dev/null || unavailable "htpasswd is missing: apt-get install apache2-utils"
  mkdir -p "$reg/data"
  local password
  password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "dlrun-test" > "$reg/user"
  echo "$password" > "$reg/password"
  echo "127.0.0.1:$port" > "$reg/address"
  htpasswd -Bbn dlrun-test "$password" > "$reg/htpasswd"
  cat > "$reg/config.yml" <<CONFIG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $reg/data
http:
  addr: 127.0.0.1:$port
  secret: dlrun-test-only
auth:
  htpasswd:
    realm: dlrun-test
    path: $reg/htpasswd
CONFIG
  in_netns docker-registry serve "$reg/config.yml" > "$reg/registry.log" 2>&1 < /dev/null &
  for _ in $(seq 1 100); do
    in_netns curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
    sleep 0.1
  done

  # Push from the plain engine, then drop the pushed tags there so that pulls have work to do.
  local host="unix://$dir/plain/docker.sock" config="$reg/docker-config"
  mkdir -p "$config"
  echo "$password" | DOCKER_CONFIG=$config docker -H "$host" login -u dlrun-test --password-stdin "127.0.0.1:$port" >/dev/null 2>&1
  local payload
  payload=$(mktemp -d)
  head -c 67108864 /dev/urandom > "$payload/weights.bin"
  tar -C "$payload" -c . | docker -H "$host" import - dlrun-test/payload-layer:1 >/dev/null
  rm -rf "$payload"
  # A two-layer image: busybox, then the payload, so a pull shows "Already exists" and a download.
  docker -H "$host" create --name payload-base dlrun-test/busybox:1 true >/dev/null
  docker -H "$host" cp - payload-base:/ < <(docker -H "$host" save dlrun-test/payload-layer:1 | tar -xO --wildcards '*/layer.tar') >/dev/null
  docker -H "$host" commit payload-base dlrun-test/payload:1 >/dev/null
  docker -H "$host" rm -f payload-base >/dev/null
  docker -H "$host" rmi dlrun-test/payload-layer:1 >/dev/null
  for image in dlrun-test/busybox:1 dlrun-test/payload:1; do
    docker -H "$host" tag "$image" "127.0.0.1:$port/$image"
    DOCKER_CONFIG=$config docker -H "$host" push "127.0.0.1:$port/$image" >/dev/null
    docker -H "$host" rmi "127.0.0.1:$port/$image" >/dev/null
  done
  docker -H "$host" rmi dlrun-test/payload:1 >/dev/null
}

start_sshd() {
  local status=0
  "$(dirname "$0")/../../scripts/loopback-sshd.sh" start "$dir/sshd" "$1" "$netns" \
    "unix://$dir/plain/docker.sock" "$2" || status=$?
  [ "$status" = 77 ] && unavailable "cannot start sshd (scripts/setup.sh --test installs openssh-server)"
  [ "$status" = 0 ] || exit "$status"
}

# The build tests' outside world, all on the fixture's 127.0.0.1:
#   dlrun-test/debian:1 on the gpu, plain and podman engines - Debian bookworm (minbase, python3-pip) from this
#     machine's configured mirror, made with mmdebstrap (cached in CACHE between runs);
#   DIR/packages/archive_proxy - an HTTP proxy that reaches that mirror (its containers have no
#     other way out): a socat in the namespace, joined through a Unix socket to one outside;
#   DIR/packages/index_url - a pip index (python3 -m http.server) with dlrun-probe 1.0 and 2.0.
start_packages() {
  local port=$1 cache=$2 packages="$dir/packages"
  command -v mmdebstrap >/dev/null || unavailable "mmdebstrap is missing: apt-get install mmdebstrap"
  command -v socat >/dev/null || unavailable "socat is missing: apt-get install socat"
  mkdir -p "$packages" "$cache"
  local mirror rootfs
  mirror=$(mirror_url)
  rootfs=$(bookworm_rootfs "$cache")
  local socket
  for socket in gpu/docker.sock plain/docker.sock podman/podman.sock; do
    docker -H "unix://$dir/$socket" import "$rootfs" dlrun-test/debian:1 >/dev/null
  done

  local host_port
  host_port=$(echo "$mirror" | sed -E 's#^[a-z]+://([^/]+).*#\1#')
  case "$host_port" in *:*) ;; *) host_port="$host_port:80" ;; esac
  # A proxy for one host is a byte pipe to it: apt sends the whole URL in its request line.
  socat "UNIX-LISTEN:$packages/archive.sock,fork" "TCP:$host_port" > /dev/null 2>&1 < /dev/null &
  echo $! > "$packages/archive-bridge.pid"
  in_netns socat "TCP-LISTEN:$((port + 3)),bind=127.0.0.1,reuseaddr,fork" \
    "UNIX-CONNECT:$packages/archive.sock" > /dev/null 2>&1 < /dev/null &
  echo "http://127.0.0.1:$((port + 3))" > "$packages/archive_proxy"

  "$(dirname "$0")/make-wheels.py" "$packages/index"
  in_netns /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$packages/index" \
    $((port + 4)) > "$packages/index.log" 2>&1 < /dev/null &
  echo "http://127.0.0.1:$((port + 4))/simple" > "$packages/index_url"
}

# A Slurm cluster of one node, in the fixture's namespace: Debian's munged, slurmctld and slurmd
# with their sockets, state and logs under DIR/slurm, ports PORT+5 and PORT+6, and four fake
# GPUs (character devices with NVIDIA's major number, for gres.conf's File= list: a Count alone
# registers none). Clients find it through DIR/slurm/slurm.conf ($SLURM_CONF).
start_slurm() {
  local port=$1 slurm="$dir/slurm"
  local tool
  for tool in munged slurmctld slurmd srun; do
    command -v "$tool" >/dev/null || unavailable "$tool is missing: apt-get install munge slurmctld slurmd slurm-client"
  done
  mkdir -p "$slurm/state" "$slurm/spool" "$slurm/dev"
  head -c 1024 /dev/urandom > "$slurm/munge.key"
  chmod 400 "$slurm/munge.key"
  in_netns munged --force --socket="$slurm/munge.sock" --key-file="$slurm/munge.key" \
    --log-file="$slurm/munged.log" --pid-file="$slurm/munged.pid" --seed-file="$slurm/munge.seed"
  local gpu
  for gpu in 0 1 2 3; do mknod "$slurm/dev/nvidia$gpu" c 195 "$gpu"; done
  local memory
  memory=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
  cat > "$slurm/slurm.conf" <<CONF
ClusterName=dlrun-test
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$((port + 5))
SlurmdPort=$((port + 6))
AuthType=auth/munge
AuthInfo=socket=$slurm/munge.sock
CryptoType=crypto/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$slurm/state
SlurmdSpoolDir=$slurm/spool
SlurmctldPidFile=$slurm/slurmctld.pid
SlurmdPidFile=$slurm/slurmd.pid
SlurmctldLogFile=$slurm/slurmctld.log
SlurmdLogFile=$slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
MpiDefault=none
ReturnToService=2
KillWait=5
NodeName=dlrun-node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$memory Gres=gpu:4 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  echo "NodeName=dlrun-node Name=gpu File=$slurm/dev/nvidia[0-3]" > "$slurm/gres.conf"
  in_netns slurmctld -f "$slurm/slurm.conf" || unavailable "slurmctld did not start (see $slurm/slurmctld.log)"
  in_netns slurmd -f "$slurm/slurm.conf" -N dlrun-node || unavailable "slurmd did not start (see $slurm/slurmd.log)"
  local _
  for _ in $(seq 1 60); do
    SLURM_CONF="$slurm/slurm.conf" in_netns timeout 2 sinfo -h -o %t 2>/dev/null | grep -qx idle && return 0
    sleep 0.5
  done
  tail -n 5 "$slurm/slurmctld.log" "$slurm/slurmd.log" >&2 || true
  unavailable "the test Slurm node did not come up within 30 s (see $slurm/slurmctld.log, $slurm/slurmd.log)"
}

# The build tests' Debian bookworm (minbase, python3-pip), as a tar.
bookworm_rootfs() {
  debian_root "$1" debian-bookworm bookworm tar python3-pip
}

# Debian 13's engines (docker.io 26 with CDI, podman 5), as a directory to run them from.
trixie_root() {
  debian_root "$1" debian-trixie-engines trixie directory \
    docker.io,containerd,runc,iptables,podman,conmon,catatonit,crun,netavark,aardvark-dns
}

# A CDI spec of fake NVIDIA GPUs in $1, as nvidia-ctk names them (indexes, a UUID, a MIG device,
# all), each device's edits visible in a container: a variable, a device node (the host's
# /dev/null numbers, made with mknod) and a read-only mount of a file naming it.
write_fake_cdi_spec() {
  local specs=$1 devices="$dir/cdi-devices" gpu
  mkdir -p "$specs" "$devices"
  for gpu in 0 1 mig-0-1; do
    mknod "$devices/$gpu" c 1 3
    echo "$gpu" > "$devices/$gpu.name"
  done
  edits() {  # name-in-paths variable
    cat <<EDITS
    env: ["DLRUN_FAKE_GPU_$2=1"]
    deviceNodes: [{path: /dev/dlrun-gpu-$1, hostPath: $devices/$1}]
    mounts: [{hostPath: $devices/$1.name, containerPath: /run/dlrun-gpu-$1, options: [ro, bind]}]
EDITS
  }
  {
    echo 'cdiVersion: "0.5.0"'
    echo 'kind: nvidia.com/gpu'
    echo 'devices:'
    echo '- name: "0"'; echo '  containerEdits:'; edits 0 0
    echo '- name: "1"'; echo '  containerEdits:'; edits 1 1
    echo '- name: GPU-11111111-2222-3333-4444-555555555555'; echo '  containerEdits:'; edits 1 1
    echo '- name: "0:1"'; echo '  containerEdits:'; edits mig-0-1 MIG_0_1
    echo '- name: all'
    echo '  containerEdits:'
    echo '    env: ["DLRUN_FAKE_GPU_0=1", "DLRUN_FAKE_GPU_1=1"]'
    echo "    deviceNodes: [{path: /dev/dlrun-gpu-0, hostPath: $devices/0}, {path: /dev/dlrun-gpu-1, hostPath: $devices/1}]"
    echo "    mounts: [{hostPath: $devices/0.name, containerPath: /run/dlrun-gpu-0, options: [ro, bind]}, {hostPath: $devices/1.name, containerPath: /run/dlrun-gpu-1, options: [ro, bind]}]"
    echo 'containerEdits:'
    echo '  env: ["NVIDIA_VISIBLE_DEVICES=void"]'
  } > "$specs/fake-nvidia.yaml"
}

# The first Debian archive this machine's apt uses.

case "$action" in
  start)
    port=${3:?usage: engine.sh start DIR PORT}
    stop_all
    mkdir -p "$dir"
    make_netns
    # Both as restricted as rootless Docker: dlrun's memlock default must give way on them.
    start_one gpu --nvidia-hook-double --restricted
    start_one plain --tls-port $((port + 1)) --restricted --buildkit
    start_one podman --podman --restricted
    # Podman as an ordinary user runs it (rootless), uid 4600: its socket is that user's alone.
    start_one podman-rootless --podman --rootless 4600
    # Debian 13's engines, GPUs through CDI (fake ones).
    write_fake_cdi_spec "$dir/cdi-specs"
    trixie=$(trixie_root "${4:-$dir.cache}")
    start_one cdi --root "$trixie" --cdi "$dir/cdi-specs" --restricted
    start_one podman5 --podman --root "$trixie" --cdi "$dir/cdi-specs" --restricted
    # An image that states its CUDA needs as nvidia/cuda images do.
    gpu="unix://$dir/gpu/docker.sock"
    docker -H "$gpu" create --name cuda-base dlrun-test/busybox:1 true >/dev/null
    docker -H "$gpu" commit \
      --change 'ENV NVIDIA_REQUIRE_CUDA=cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=tesla,driver>=535,driver<536' \
      --change 'ENV CUDA_VERSION=12.4.1' cuda-base dlrun-test/cuda12.4:1 >/dev/null
    docker -H "$gpu" rm cuda-base >/dev/null
    # A "PyTorch 2.3.1" already on the engine, so resolution can prefer it to a newer one that
    # would need a pull (the content is busybox: what matters is the name).
    docker -H "$gpu" tag dlrun-test/busybox:1 pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime
    start_registry "$port"
    start_sshd $((port + 2)) $((port + 7))
    start_packages "$port" "${4:-$dir.cache}"
    start_slurm "$port"
    # The ownership tests run dlrun as an unprivileged uid against the GPU engine and Podman.
    chmod 666 "$dir/gpu/docker.sock" "$dir/podman/podman.sock" "$dir/cdi/docker.sock" \
      "$dir/podman5/podman.sock"
    echo "engine.sh: engines up: $dir/gpu/docker.sock (NVIDIA hook stand-in), $dir/plain/docker.sock, $dir/podman/podman.sock;"
    echo "engine.sh: registry at $(cat "$dir/registry/address")"
    ;;
  stop) stop_all ;;
  # What start would download, made ahead (scripts/test.sh runs it beside the build): both roots.
  prefetch)
    bookworm_rootfs "$dir" >/dev/null
    trixie_root "$dir" >/dev/null
    ;;
  *)
    echo "usage: engine.sh start|stop DIR" >&2
    exit 2
    ;;
esac
