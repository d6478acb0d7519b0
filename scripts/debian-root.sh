# Sourced by the quickstart and the test harness (engine.sh, check-package.sh): Debian roots
# made with mmdebstrap from this machine's mirror, kept in a cache between runs. The sourcing
# script defines `unavailable MESSAGE` (the harness skips, or fails under CI; the quickstart fails).

# The mirror this machine's apt uses (deb822 sources first), else Debian's.
mirror_url() {
  local url
  url=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | head -1 | awk '{print $2}')
  [ -n "$url" ] || url=$(grep -hs '^deb ' /etc/apt/sources.list | head -1 | awk '{print $2}')
  echo "${url:-http://deb.debian.org/debian}"
}

# A Debian root made with mmdebstrap from this machine's mirror, kept in CACHE between runs:
# debian_root CACHE NAME SUITE FORMAT PACKAGES [with-docs] prints the path of
# CACHE/NAME-HASH[.tar] (the mirror's HASH), made unless it is there. Without with-docs, dpkg
# in the root leaves out documentation, man pages and locales (as in container images).
debian_root() {
  local cache=$1 name=$2 suite=$3 format=$4 packages=$5 docs=${6:-} mirror root
  local excludes=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
                  --dpkgopt='path-exclude=/usr/share/locale/*')
  [ "$docs" = with-docs ] && excludes=()
  command -v mmdebstrap >/dev/null || unavailable "mmdebstrap is missing: apt-get install mmdebstrap"
  mirror=$(mirror_url)
  root="$cache/$name-$(echo "$mirror" | sha256sum | cut -c1-12)"
  [ "$format" = tar ] && root="$root.tar"
  if [ ! -e "$root" ]; then
    rm -rf "$root.partial"
    mkdir -p "$cache"
    mmdebstrap --quiet --format="$format" --variant=minbase --include="$packages" \
      --aptopt='Acquire::Languages "none"' "${excludes[@]}" \
      "$suite" "$root.partial" "$mirror" > "$cache/$name-mmdebstrap.log" 2>&1 \
      || unavailable "mmdebstrap could not make $name from $mirror (see $cache/$name-mmdebstrap.log)"
    mv "$root.partial" "$root"
  fi
  echo "$root"
}


# Debian 12's engine (docker.io, containerd, runc), as a directory a private engine runs from
# (private-engine.sh --root): the quickstart's engine on a machine without Docker.
bookworm_engine_root() {
  debian_root "$1" debian-bookworm-engine bookworm directory docker.io,containerd,runc,iptables
}
