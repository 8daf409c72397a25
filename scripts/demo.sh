#!/usr/bin/env bash
# Installs what is missing, builds, profiles the bundled demo and prints its top.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
heapprof_install_deps
heapprof_build
# heapprof never replaces a file it did not write in this process: clear the old one.
profile=demo.heap.pb.gz
rm -f "$profile" demo.heap.peak.pb.gz
HEAPPROF_OUT="$profile" LD_PRELOAD="$PWD/build/src/libheapprof.so" build/examples/maps
echo
echo "== heapprof top -sample_index=alloc_space (what was allocated)"
build/tools/heapprof top -sample_index=alloc_space -nodecount=8 "$profile"
echo
echo "== heapprof top (what is still in use at exit)"
build/tools/heapprof top -nodecount=8 "$profile"
echo
echo "The profile is $profile; try: go tool pprof -list new_map $profile"
