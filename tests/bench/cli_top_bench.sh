#!/bin/sh
# Times `heapprof top` against `go tool pprof -top` on a large heap profile.
#   tests/bench/cli_top_bench.sh [BUILD_DIR] [MEGABYTES]
# MEGABYTES of encoded protobuf (default 66, over 50 MB once gzipped). Both
# tools must print the same report before anything is timed.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
megabytes=${2:-66}
heapprof=$build/tools/heapprof
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profile=$work/big.pb.gz

echo "writing a $megabytes MB profile..."
python3 "$root/tests/tools/make_big_profile.py" "$profile" "$megabytes"
ls -l "$profile"

TZ=UTC "$heapprof" top "$profile" >"$work/heapprof.txt"
TZ=UTC go tool pprof -top "$profile" >"$work/pprof.txt" 2>/dev/null
if ! cmp -s "$work/heapprof.txt" "$work/pprof.txt"; then
    diff "$work/pprof.txt" "$work/heapprof.txt" | head -20
    echo "heapprof top and go tool pprof -top differ" >&2
    exit 1
fi
echo "outputs identical ($(wc -l <"$work/heapprof.txt") lines)"

if command -v hyperfine >/dev/null; then
    hyperfine --warmup 1 --runs 3 "$heapprof top $profile" "go tool pprof -top $profile"
else
    for command in "$heapprof top" "go tool pprof -top"; do
        /usr/bin/time -f "$command: %e s wall, %U s user, %M KiB peak" $command "$profile" >/dev/null 2>"$work/time"
        tail -1 "$work/time"
    done
fi
