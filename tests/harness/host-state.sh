#!/usr/bin/env bash
# What of the machine the test suite's private engines must leave as they found it (a ctest
# fixture around them): the host's network interfaces, addresses and routes (a host Docker's
# docker0 among them), its iptables rules and the sysctls Docker sets, the host Docker's and
# containerd's sockets, directories and configuration, the top-level cgroups and the mount table.
# And nothing may be left of the engines' own directories (DIR...): no directory, no mount under
# one, no process naming one, no cgroup named after one. Private engines' own cgroups and mounts
# under /tmp/dlrun-* are left out of the comparison, so that a suite of another build tree
# running meanwhile does not count; this suite's are what "left" checks.
#
#   host-state.sh record FILE [DIR...]    before the engines start: writes the state to FILE
#   host-state.sh compare FILE [DIR...]   after they stop: fails, showing the difference, unless
#                                         the state is FILE's and nothing is left of DIR...
# Exits 77 (ctest: skipped) when this machine lacks the tools, except under CI=true.
set -euo pipefail

action=${1:?usage: host-state.sh record|compare FILE [DIR...]}
file=${2:?usage: host-state.sh record|compare FILE [DIR...]}
shift 2

if ! command -v ip >/dev/null || ! command -v findmnt >/dev/null; then
  echo "host-state.sh: ip or findmnt is missing: apt-get install iproute2 util-linux" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi

cgroup_roots() {
  findmnt -rn -t cgroup,cgroup2 -o TARGET
}

# Address and route lifetimes count down; temporary IPv6 addresses come and go on their own.
without_lifetimes() {
  grep -v ' temporary' | sed -E 's/ +(valid_lft|preferred_lft|expires) +[^ ]+//g'
}

snapshot() {
  echo "## interfaces"
  ip -o link show
  echo "## addresses"
  ip -o addr show | without_lifetimes
  echo "## routes"
  { ip -4 route show table all; ip -6 route show table all; } | without_lifetimes
  echo "## docker0"
  { ip -d -o link show docker0 2>/dev/null || echo "absent"; } | sed -E 's/ [a-z_]+_timer +[0-9.]+//g'
  echo "## iptables (counters left out)"
  local save
  for save in iptables-save ip6tables-save; do
    if command -v "$save" >/dev/null; then
      "$save" 2>&1 | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]$//'
    else
      echo "$save: absent"
    fi
  done
  echo "## sysctls"
  local sysctl
  for sysctl in net/ipv4/ip_forward net/ipv4/conf/all/forwarding net/ipv6/conf/all/forwarding \
    net/bridge/bridge-nf-call-iptables kernel/keys/root_maxkeys kernel/keys/root_maxbytes; do
    echo "$sysctl $(cat "/proc/sys/$sysctl" 2>/dev/null || echo absent)"
  done
  echo "## the host's Docker and containerd"
  local path
  for path in /var/run/docker.sock /run/docker /var/lib/docker /run/containerd \
    /var/lib/containerd /opt/containerd /etc/docker /etc/containerd; do
    stat -c '%n %F inode %i' "$path" 2>/dev/null || echo "$path absent"
  done
  find /etc/docker /etc/containerd -printf '%p %y %s %T@\n' 2>/dev/null | sort
  echo "## top-level cgroups (but private engines')"
  cgroup_roots | while read -r root; do
    find "$root" -mindepth 1 -maxdepth 1 -type d ! -name 'dlrun-engine-*'
  done | sort
  echo "## mounts (but those of a host Docker's containers, users' sessions and private engines)"
  findmnt -rn -o TARGET,FSTYPE \
    | grep -Ev '^/(run/user|run/docker|var/lib/docker|run/containerd|var/lib/containerd|run/netns|tmp/dlrun-)' \
    | sort
}

# What is left of the engines' directories: each must be gone, with no mount under it, no
# process that names a path in it and no cgroup named after it (as private-engine.sh names them).
leftovers() {
  local dir proc command
  for dir in "$@"; do
    [ ! -e "$dir" ] || echo "$dir still exists"
    findmnt -rn -o TARGET | awk -v under="$dir/" 'index($0, under) == 1 { print "mount left: " $0 }'
    cgroup_roots | while read -r root; do
      find "$root" -mindepth 1 -maxdepth 1 -type d -name "dlrun-engine${dir//\//-}-*" -printf 'cgroup left: %p\n'
    done
    for proc in /proc/[0-9]*; do
      command=$(tr '\0' ' ' 2>/dev/null < "$proc/cmdline") || continue
      case "$command" in *"$dir/"*) echo "process left: ${proc#/proc/} $command" ;; esac
    done
  done
}

case "$action" in
  record)
    mkdir -p "$(dirname "$file")"
    snapshot > "$file"
    echo "host-state.sh: recorded the host's state in $file"
    ;;
  compare)
    if [ ! -f "$file" ]; then
      echo "host-state.sh: nothing recorded in $file (host-state-record did not run)" >&2
      [ "${CI:-}" = "true" ] && exit 1
      exit 77
    fi
    status=0
    if ! snapshot | diff -u --label before --label after "$file" -; then
      echo "host-state.sh: the host's state changed while the private engines ran (above: - before, + after)." >&2
      echo "hint: unless something else on this machine changed it meanwhile (a host Docker starting or stopping containers), an engine touched the host" >&2
      status=1
    fi
    left=$(leftovers "$@")
    if [ -n "$left" ]; then
      printf '%s\n' "$left" >&2
      echo "host-state.sh: the private engines left the above behind" >&2
      status=1
    fi
    [ "$status" != 0 ] || echo "host-state.sh: the host's state is as recorded, and nothing of $* is left"
    exit "$status"
    ;;
  *)
    echo "usage: host-state.sh record|compare FILE [DIR...]" >&2
    exit 2
    ;;
esac
