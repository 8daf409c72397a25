#!/usr/bin/env bash
# Installs what is missing, builds, profiles the bundled demo and prints its top.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
heapprof_install_deps
heapprof_build
rm -f demo.heap.pb.gz
HEAPPROF_OUT=demo.heap.pb.gz LD_PRELOAD="$PWD/build/src/libheapprof.so" build/examples/maps
go tool pprof -top -sample_index=alloc_space demo.heap.pb.gz 2>/dev/null | head -n 15
