#!/usr/bin/env bash
# A private Docker engine for trying dlrun out and for its tests: Debian's dockerd with its own
# socket, data-root and exec-root under DIR, and a small image imported from a busybox-static
# root filesystem, so nothing needs a registry.
#
#   private-engine.sh start DIR [--image NAME] [--nvidia-hook-double] [--tls-port PORT]
#   private-engine.sh stop DIR
#   private-engine.sh import-image NAME     (into the engine DOCKER_HOST names)
#
# The socket is DIR/docker.sock. --nvidia-hook-double puts a stand-in for NVIDIA's
# nvidia-container-runtime-hook on dockerd's PATH: dockerd then registers its NVIDIA device
# driver and honours GPU requests, and the stand-in records each call under DIR/hook-calls
# (and fails as the real one does for a container whose environment has
# DLRUN_TEST_HOOK_FAIL=1). --tls-port also listens on tcp://127.0.0.1:PORT with TLS and client
# certificates (--tlsverify): a CA and the daemon's certificate are made under DIR/tls, and a
# client's in DIR/tls/client (ca.pem, cert.pem, key.pem: a DOCKER_CERT_PATH). Needs root.
set -euo pipefail

usage() {
  echo "usage: private-engine.sh start DIR [--image NAME] [--nvidia-hook-double] [--tls-port PORT] | stop DIR | import-image NAME" >&2
  exit 2
}
action=${1:-}; dir=${2:-}
[ -n "$action" ] && [ -n "$dir" ] || usage
shift 2
image=""
hook_double=false
tls_port=""
while [ $# -gt 0 ]; do
  case "$1" in
    --image) image=${2:?--image needs a name}; shift 2 ;;
    --nvidia-hook-double) hook_double=true; shift ;;
    --tls-port) tls_port=${2:?--tls-port needs a port}; shift 2 ;;
    *) usage ;;
  esac
done

socket="$dir/docker.sock"

stop() {
  if [ -f "$dir/dockerd.pid" ]; then
    local pid ids
    pid=$(cat "$dir/dockerd.pid")
    # Containers first, so nothing of a failed run outlives the engine.
    ids=$(docker -H "unix://$socket" ps -aq 2>/dev/null || true)
    [ -z "$ids" ] || docker -H "unix://$socket" rm -f $ids >/dev/null 2>&1 || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # A dockerd that died (or was killed) leaves its containerd and shims running.
  pkill -9 -f "$dir/exec/containerd" 2>/dev/null || true
  if [ -d "$dir" ]; then
    # Mounts left by overlay2 or containerd would make the directory impossible to remove.
    { grep -o " $dir/[^ ]*" /proc/mounts || true; } | sort -r | while read -r mount; do
      umount -l "$mount" 2>/dev/null || true
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

start() {
  [ "$(id -u)" = 0 ] || { echo "private-engine.sh: dockerd needs root" >&2; exit 77; }
  command -v dockerd >/dev/null && command -v docker >/dev/null \
    || { echo "private-engine.sh: dockerd is missing: apt-get install docker.io" >&2; exit 77; }
  if [ -n "$image" ] && [ ! -x /bin/busybox ]; then
    echo "private-engine.sh: busybox is missing: apt-get install busybox-static" >&2; exit 77
  fi
  stop
  mkdir -p "$dir/data" "$dir/exec"
  local path_prefix="" tls_args=()
  if $hook_double; then write_hook_double; path_prefix="$dir/hookbin:"; fi
  if [ -n "$tls_port" ]; then
    command -v openssl >/dev/null || { echo "private-engine.sh: openssl is missing: apt-get install openssl" >&2; exit 77; }
    write_tls_material
    tls_args=(--host "tcp://127.0.0.1:$tls_port" --tlsverify --tlscacert "$dir/tls/ca.pem"
      --tlscert "$dir/tls/server-cert.pem" --tlskey "$dir/tls/server-key.pem")
  fi
  # No bridge or iptables: the engine must not touch the host's network, and jobs that need a
  # network can use "network": "host".
  PATH="$path_prefix$PATH" dockerd \
    --host "unix://$socket" --data-root "$dir/data" --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" --bridge none --iptables=false --ip-masq=false \
    "${tls_args[@]}" > "$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 150); do
    if docker -H "unix://$socket" version >/dev/null 2>&1; then
      [ -z "$image" ] || import_busybox "unix://$socket" "$image"
      return 0
    fi
    sleep 0.2
  done
  tail -20 "$dir/dockerd.log" >&2
  echo "private-engine.sh: dockerd did not come up; its log is above" >&2
  exit 1
}

case "$action" in
  start) start ;;
  stop) stop ;;
  import-image) import_busybox "${DOCKER_HOST:-unix:///var/run/docker.sock}" "$dir" ;;
  *) usage ;;
esac
