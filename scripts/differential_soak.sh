#!/usr/bin/env bash
# A long run of the differential tester: scripts/differential_soak.sh N [BUILD_DIR]
# N seeds from a random start (the cli suite runs tests/differential/seeds.txt), each a
# random profile through go tool pprof and heapprof. The files of each seed that
# differs are kept in the directory printed; the last line gives the figures
# docs/cli.md records.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:?usage: scripts/differential_soak.sh N [BUILD_DIR]}
build=${2:-build}
findings=$(mktemp -d "${TMPDIR:-/tmp}/heapprof-differential-findings.XXXXXX")
python3 tests/differential/differential.py "$build/tools/heapprof" --count "$count" --findings "$findings" &&
  status=0 || status=$?
if rmdir "$findings" 2>/dev/null; then
  echo "no findings"
else
  echo "findings kept in $findings"
fi
exit "$status"
