#!/usr/bin/env bash
# Debian's sshd on 127.0.0.1:PORT of a network namespace (bound at NETNS), with a key for root:
# a Docker host behind ssh, as `DOCKER_HOST=ssh://root@127.0.0.1:PORT` reaches it, for the tests
# (tests/harness/engine.sh) and the benchmark (bench/run.sh).
#   DIR/bin/ssh      ssh with that key and a config of its own (put DIR/bin first on PATH): no
#                    ControlMaster, as a user who set none has it
#   DIR/address      127.0.0.1:PORT
#   DIR/sshd.log     sshd's log (one "Accepted publickey" per authenticated connection)
#   DIR/remote-bin   first on the sessions' PATH: a stand-in nvidia-smi (two GPUs, driver
#                    550.54.14), and a docker that notes each `docker system dial-stdio` (one
#                    per HTTP connection a client makes) in DIR/dial-stdio.log and runs the real one
# sshd runs with a /run of its own (its privilege separation directory), not the host's.
# DOCKER_HOST, if given, is the sessions' own: the daemon that `docker system dial-stdio` reaches
# there (the docker CLI's ssh:// takes no socket path). NO_FORWARDING_PORT, if given, is a second
# port where sshd refuses to forward Unix sockets (AllowStreamLocalForwarding no, as hardened
# servers set it); DIR/address-no-forwarding names it.
#
# usage: loopback-sshd.sh start DIR PORT NETNS [DOCKER_HOST [NO_FORWARDING_PORT]] | stop DIR
set -euo pipefail

action=${1:?usage: loopback-sshd.sh start DIR PORT NETNS | stop DIR}
sshd=${2:?usage: loopback-sshd.sh start DIR PORT NETNS | stop DIR}

start() {
  local port=$1 netns=$2 remote_docker=${3:-} no_forwarding_port=${4:-}
  [ -x /usr/sbin/sshd ] || { echo "loopback-sshd.sh: sshd is missing: apt-get install openssh-server" >&2; exit 77; }
  command -v ssh-keygen >/dev/null || { echo "loopback-sshd.sh: ssh-keygen is missing: apt-get install openssh-client" >&2; exit 77; }
  mkdir -p "$sshd/bin" "$sshd/remote-bin"
  cat > "$sshd/remote-bin/nvidia-smi" <<'SMI'
#!/bin/sh
# Stand-in for nvidia-smi on the "remote" Docker host: what dlrun's query gets from two GPUs.
printf '550.54.14, 0, GPU-11111111-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3, 81559, 9.0\n'
printf '550.54.14, 1, GPU-66666666-7777-8888-9999-000000000000, NVIDIA GeForce RTX 4090, 24564, 8.9\n'
SMI
  cat > "$sshd/remote-bin/docker" <<DOCKER
#!/bin/sh
case "\$*" in *dial-stdio*) echo "\$\$" >> "$sshd/dial-stdio.log" ;; esac
exec /usr/bin/docker "\$@"
DOCKER
  chmod 755 "$sshd/remote-bin/nvidia-smi" "$sshd/remote-bin/docker"
  ssh-keygen -q -t ed25519 -N '' -f "$sshd/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$sshd/id_ed25519"
  cp "$sshd/id_ed25519.pub" "$sshd/authorized_keys"
  cat > "$sshd/sshd_config" <<CONFIG
Port $port
ListenAddress 127.0.0.1
HostKey $sshd/host_key
AuthorizedKeysFile $sshd/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $sshd/sshd.pid
SetEnv PATH=$sshd/remote-bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${remote_docker:+ DOCKER_HOST=$remote_docker}
CONFIG
  if [ -n "$no_forwarding_port" ]; then
    printf 'Port %s\nMatch LocalPort %s\n  AllowStreamLocalForwarding no\n' \
      "$no_forwarding_port" "$no_forwarding_port" >> "$sshd/sshd_config"
    echo "127.0.0.1:$no_forwarding_port" > "$sshd/address-no-forwarding"
  fi
  cat > "$sshd/ssh_config" <<CONFIG
Host *
  IdentityFile $sshd/id_ed25519
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
CONFIG
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$sshd/ssh_config" > "$sshd/bin/ssh"
  chmod 755 "$sshd/bin/ssh"
  nsenter --net="$netns" -- unshare --mount --propagation slave \
    sh -c 'mount -n -t tmpfs -o mode=755 tmpfs /run && mkdir /run/sshd && exec "$@"' sshd \
    /usr/sbin/sshd -f "$sshd/sshd_config" -E "$sshd/sshd.log"
  for _ in $(seq 1 50); do
    nsenter --net="$netns" -- "$sshd/bin/ssh" -p "$port" root@127.0.0.1 true 2>/dev/null && break
    sleep 0.1
  done
  echo "127.0.0.1:$port" > "$sshd/address"
}

stop() {
  local pid
  pid=$(cat "$sshd/sshd.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
}

case "$action" in
  start) start "${3:?usage: loopback-sshd.sh start DIR PORT NETNS}" "${4:?usage: loopback-sshd.sh start DIR PORT NETNS}" "${5:-}" "${6:-}" ;;
  stop) stop ;;
  *) echo "usage: loopback-sshd.sh start DIR PORT NETNS | stop DIR" >&2; exit 2 ;;
esac
