#!/usr/bin/env bash
# A long run of the mutating fuzzer: scripts/fuzz_soak.sh N [BUILD_DIR]
# N inputs (thousands, for a soak; the cli suite runs 300), each through every
# command, from the corpus and profiles the preload library writes. The
# inputs that break a rule are kept in the directory printed; the last line
# gives the figures docs/cli.md records.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:?usage: scripts/fuzz_soak.sh N [BUILD_DIR]}
build=${2:-build}
findings=$(mktemp -d "${TMPDIR:-/tmp}/heapprof-soak-findings.XXXXXX")
python3 tests/fuzz/mutate_profiles.py "$build/tools/heapprof" --count "$count" --findings "$findings" \
  --library "$build/src/libheapprof.so" --program "$build/examples/maps" && status=0 || status=$?
if rmdir "$findings" 2>/dev/null; then
  echo "no findings"
else
  echo "findings kept in $findings"
fi
exit "$status"
