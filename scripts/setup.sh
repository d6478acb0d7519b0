#!/usr/bin/env bash
# Installs what dlrun needs to build, test and run on Debian 12: the toolchain, the libraries,
# Docker Engine (docker.io) and busybox-static (for the locally built example and test images).
# Installs only what is missing; safe to run again.
set -euo pipefail

packages=(
  g++ cmake make pkg-config clang-format
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libspdlog-dev libssl-dev libyaml-cpp-dev catch2
  docker.io podman catatonit busybox-static docker-registry apache2-utils curl openssl openssh-server openssh-client
  uidmap slirp4netns  # rootless Podman: subordinate ids, and its network
  iproute2 util-linux
  hyperfine gnuplot-nox python3
  zsh fish groff-base python3-jsonschema  # to check completions, man pages and the schema
  mmdebstrap socat  # the build tests: a Debian image from the mirror, and a way to reach it
  munge slurmctld slurmd slurm-client  # the Slurm tests: a one-node cluster of their own
  clang-19 libclang-rt-19-dev llvm-19  # the fuzz tests (tests/fuzz): libFuzzer, its symbolizer
  clang-tidy-19  # the tidy test: zero findings over src/ (.clang-tidy)
)

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
