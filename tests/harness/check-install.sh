#!/usr/bin/env bash
# cmake --install into a scratch prefix: the binary, a man page per command that groff renders
# without a warning and that names every option of its command, and the three completion
# scripts where bash-completion, zsh and fish look.
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null

dlrun=$prefix/bin/dlrun
[ -x "$dlrun" ] || { echo "no $dlrun" >&2; exit 1; }
for file in share/bash-completion/completions/dlrun share/zsh/vendor-completions/_dlrun \
            share/fish/vendor_completions.d/dlrun.fish share/man/man1/dlrun.1; do
  [ -s "$prefix/$file" ] || { echo "not installed: $file" >&2; exit 1; }
done

warnings=$(groff -man -Tutf8 -ww -z "$prefix/share/man/man1/dlrun.1" 2>&1)
[ -z "$warnings" ] || { echo "groff on dlrun.1: $warnings" >&2; exit 1; }

# Every command --help lists has its page, and the page every flag its --help shows.
commands=$("$dlrun" --help | awk '/^Subcommands:/{on=1; next} on && !NF {exit} on {print $1}')
[ -n "$commands" ] || { echo "no commands in dlrun --help" >&2; exit 1; }
for command in $commands; do
  page=$prefix/share/man/man1/dlrun-$command.1
  [ -s "$page" ] || { echo "no man page for $command" >&2; exit 1; }
  warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  [ -z "$warnings" ] || { echo "groff on $page: $warnings" >&2; exit 1; }
  rendered=$(groff -man -Tutf8 "$page" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g')
  for flag in $("$dlrun" "$command" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -qF -- "$flag" <<<"$rendered" || { echo "dlrun-$command(1) lacks $flag" >&2; exit 1; }
  done
done
echo "installed: $(echo $commands | wc -w) commands, each with its man page"
