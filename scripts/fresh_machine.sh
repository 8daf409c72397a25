#!/usr/bin/env bash
# Runs COMMAND as a fresh Debian machine sees it: with no debug files (libc6-dbg and the
# like put theirs under /usr/lib/debug), hidden by an empty tmpfs in a private mount
# namespace. A test that passes only because this machine has debug files fails here.
#   scripts/fresh_machine.sh meson test -C build --suite cli
# Needs root, for unshare --mount.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
[ -d /usr/lib/debug ] || exec "$@"
exec unshare --mount -- sh -c 'mount -t tmpfs -o mode=0755 fresh-machine /usr/lib/debug && exec "$@"' sh "$@"
