#!/bin/sh
# Fuzzes the profile reader for SECONDS: run_fuzz.sh FUZZER CORPUS SECONDS
# New inputs go to a temporary directory, never into the committed corpus.
# A crash fails the run; its input is kept in the directory printed.
set -eu
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
artifacts=$(mktemp -d "${TMPDIR:-/tmp}/heapprof-fuzz-artifacts.XXXXXX")
trap 'rm -rf "$work"; rmdir "$artifacts" 2>/dev/null || echo "crash inputs kept in $artifacts" >&2' EXIT
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -close_fd_mask=2 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$work" "$corpus"
