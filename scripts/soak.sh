#!/usr/bin/env bash
# Runs N generated host programs (tests/torture/) from seed FIRST (default 1), as many
# at a time as there are cores, and ends with the failures grouped by kind. Each seed's
# result is a JSON line in build/torture/soak-FIRST-N.jsonl; a failing seed's programs
# and profiles stay in build/torture/seed-S/.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:?usage: scripts/soak.sh N [FIRST]}
first=${2:-1}
. scripts/deps.sh
heapprof_build
log="build/torture/soak-$first-$count.jsonl"
mkdir -p build/torture
rm -f "$log"
exec python3 tests/torture/run.py --first "$first" --count "$count" --jobs "$(nproc)" --json "$log" --quiet --summary
