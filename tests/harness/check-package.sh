#!/usr/bin/env bash
# The Debian package, as a user gets it: built as README says (`cpack -G DEB` in the release
# build), checked by lintian (no errors), installed with apt into a fresh Debian 12 root (so
# that apt must find every library in its Depends), used there (dlrun --version, man -w,
# dlrun validate on an installed example, bash completion as bash-completion loads it), then
# purged, leaving none of its files. Needs root (chroot) and the mirror.
#
#   check-package.sh SOURCE_DIR CACHE   the test (CACHE keeps the Debian root between runs)
#   check-package.sh --prefetch CACHE   only make the cached root (scripts/test.sh, beside the build)
set -euo pipefail
# The root's /proc is mounted in a mount namespace of this script's own: it goes with it.
if [ -z "${DLRUN_PACKAGE_NS:-}" ] && [ "${1:-}" != --prefetch ] && [ "$(id -u)" = 0 ]; then
  DLRUN_PACKAGE_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

unavailable() {
  echo "check-package.sh: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "check-package.sh: skipping (under CI=true this fails)" >&2
  exit 77
}
. "$(dirname "$0")/../../scripts/debian-root.sh"
fail() { echo "check-package.sh: $*" >&2; exit 1; }

# Debian 12 as a user's machine has it: minbase, man-db and bash-completion, documentation kept.
package_root() {
  debian_root "$1" debian-bookworm-package bookworm tar man-db,bash-completion with-docs
}

if [ "${1:-}" = --prefetch ]; then
  package_root "${2:?usage: check-package.sh --prefetch CACHE}" >/dev/null
  exit 0
fi
source_dir=$(realpath "${1:?usage: check-package.sh SOURCE_DIR CACHE}")
cache=${2:?usage: check-package.sh SOURCE_DIR CACHE}
[ "$(id -u)" = 0 ] || unavailable "needs root (a chroot)"
command -v lintian >/dev/null || unavailable "lintian is missing: scripts/setup.sh --test installs it"
root_tar=$(package_root "$cache")

# README's two lines, less the install.
cd "$source_dir"
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
(cd build/release && rm -f dlrun_*.deb && cpack -G DEB >/dev/null)
deb=$(ls build/release/dlrun_*.deb)
echo "package: $deb"
dpkg-deb --field "$deb"

# lintian: no error; its warnings are shown (docs/install.md lists those left).
findings=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v 'running with root privileges' || true)
[ -z "$findings" ] || echo "$findings"
if grep -q '^E:' <<<"$findings"; then
  echo "check-package.sh: lintian found errors in $deb" >&2
  exit 1
fi

work=$(mktemp -d /tmp/dlrun-package.XXXXXX)
root=$work/root
cleanup() {
  umount "$root/dev/pts" "$root/proc" 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
mkdir "$root"
tar -C "$root" -xf "$root_tar"
cp "$deb" "$root/tmp/dlrun.deb"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
[ -c "$root/dev/null" ] || fail "the root has no /dev/null"
mount -t proc proc "$root/proc"
mkdir -p "$root/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"  # apt's terminal log
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

in_root apt-get update -qq >/dev/null
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  /tmp/dlrun.deb >/dev/null

version=$(in_root dlrun --version)
grep -Eq '^dlrun [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{12}(, modified)?\)$' <<<"$version" \
  || fail "dlrun --version in the root says: $version"
page=$(in_root man -w dlrun-train) || fail "man -w dlrun-train found no page"
[ "$page" = /usr/share/man/man1/dlrun-train.1.gz ] || fail "man -w dlrun-train: $page"
in_root dlrun validate /usr/share/doc/dlrun/examples/hello.json >/dev/null \
  || fail "dlrun validate on the installed example failed"
in_root test -s /usr/share/dlrun/dlrun.schema.json || fail "no schema in /usr/share/dlrun"
# As an interactive bash finds it: bash-completion loads the file when dlrun is first completed.
# (_completion_loader says 124 when it has loaded one: "complete again".)
offered=$(in_root bash -c '. /usr/share/bash-completion/bash_completion;
  _completion_loader dlrun; function=$(complete -p dlrun | sed -E "s/.*-F ([^ ]+).*/\1/") &&
  COMP_WORDS=(dlrun tr) && COMP_CWORD=1 && COMPREPLY=() && "$function" &&
  printf "%s\n" "${COMPREPLY[@]}"')
[ "$offered" = train ] || fail "bash completion of 'dlrun tr' offered: $offered"

# Purged, nothing of it remains (the directories it shares with others stay).
files=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$' | sed 's|^\./|/|')
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq dlrun >/dev/null
! in_root dpkg -s dlrun >/dev/null 2>&1 || fail "dpkg still knows dlrun after the purge"
while read -r file; do
  [ ! -e "$root$file" ] || fail "$file is left after the purge"
done <<<"$files"
for dir in /usr/share/doc/dlrun /usr/share/dlrun; do
  [ ! -e "$root$dir" ] || fail "$dir is left after the purge"
done
echo "package: installed with its Depends, used, and purged: $(wc -l <<<"$files") files"
