#!/usr/bin/env bash
# Installs what is missing on Debian 12, and only that; safe to run again.
#   scripts/setup.sh          building and running dlrun: the toolchain and libraries, what
#                             `cpack -G DEB` needs, busybox-static (the example image), and
#                             mmdebstrap where the machine has no Docker (the quickstart runs
#                             its engine from a Debian root then)
#   scripts/setup.sh --test   the above, and everything the test suite, benchmarks and checks
#                             use (scripts/test.sh calls it): Podman, a registry, sshd, Slurm,
#                             clang-19 for fuzzing, clang-tidy, lintian, …
# Without --test nothing is installed that starts a system service.
set -euo pipefail

packages=(
  g++ cmake make ninja-build pkg-config
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libspdlog-dev libssl-dev libyaml-cpp-dev
  dpkg-dev file  # cpack -G DEB: dpkg-shlibdeps computes the package's Depends
  busybox-static util-linux iproute2  # the example image, and a private engine's namespaces
)
# A GPU machine usually has Docker already (Docker CE's docker-ce conflicts with docker.io).
# Where there is none, the quickstart's engine runs from a Debian root that mmdebstrap makes:
# docker.io installed here would start dockerd as a service.
command -v dockerd >/dev/null || packages+=(mmdebstrap)

if [ "${1:-}" = --test ]; then
  packages+=(
    docker.io catch2 clang-format
    podman catatonit docker-registry apache2-utils curl openssl openssh-server openssh-client
    git  # the run record test: a mounted work tree's commit
    uidmap slirp4netns  # rootless Podman: subordinate ids, and its network
    hyperfine gnuplot-nox python3
    zsh fish groff-base python3-jsonschema  # to check completions, man pages and the schema
    mmdebstrap socat  # the build and package tests: Debian roots from the mirror
    lintian  # the package test: Debian's checks of the .deb
    munge slurmctld slurmd slurm-client  # the Slurm tests: a one-node cluster of their own
    clang-19 libclang-rt-19-dev llvm-19  # the fuzz tests (tests/fuzz): libFuzzer, its symbolizer
    clang-tidy-19  # the tidy test: zero findings over src/ (.clang-tidy)
  )
elif [ -n "${1:-}" ]; then
  echo "usage: scripts/setup.sh [--test]" >&2
  exit 2
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "setup.sh: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
