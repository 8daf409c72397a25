# Sourced by the other scripts: installs the Debian packages heapprof needs to build and test.
heapprof_packages=(
  meson ninja-build pkg-config gcc g++ python3
  libunwind-dev libdw-dev libelf-dev libzstd-dev zlib1g-dev
  libprotobuf-c-dev protobuf-c-compiler libcurl4-openssl-dev libiberty-dev libre2-dev
  golang-go
)

# What the tests run besides: other allocators, real programs, compressors.
heapprof_test_packages=(
  libjemalloc2 libtcmalloc-minimal4 zstd binutils strace
  perl sqlite3 git bash make redis-server redis-tools openssl
  clang-14 libclang-rt-14-dev chromium clang-format
)

# What tests/bench/run.py compares against (issue #5's matrix); not installed by CI:
#   source scripts/deps.sh && heapprof_install_deps "${heapprof_bench_packages[@]}"
# gcc brings cc1, the compiler workload; valgrind is for `run.py callgrind`.
heapprof_bench_packages=(
  heaptrack libgoogle-perftools4 libjemalloc2 gcc g++ valgrind python3 perl sqlite3
)

heapprof_install_deps() {
  local missing=()
  for package in "${heapprof_packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "heapprof: missing packages: ${missing[*]} (run as root, or install them)" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  heapprof_quietly apt-get update -qq ||
    { echo "heapprof: apt-get update failed; not installing ${missing[*]}" >&2; return 1; }
  heapprof_quietly apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
    { echo "heapprof: apt-get install ${missing[*]} failed" >&2; return 1; }
}

# heapprof_quietly COMMAND...: runs COMMAND, printing its output only if it fails.
heapprof_quietly() {
  local output
  output=$("$@" 2>&1) || { printf '%s\n' "$output" >&2; return 1; }
}

# heapprof_build [DIR [SETUP OPTIONS...]]: sets DIR (default build) up and compiles it.
# A setup that failed leaves DIR without build.ninja; such a directory is removed and
# set up again, so that the next run recovers once the cause is fixed.
heapprof_build() {
  local dir=${1:-build}
  [ $# -eq 0 ] || shift
  if [ -f "$dir/build.ninja" ] && [ -f "$dir/meson-private/coredata.dat" ]; then
    [ $# -eq 0 ] || heapprof_quietly meson setup --reconfigure "$dir" "$@" ||
      { echo "heapprof: meson setup --reconfigure $dir failed" >&2; return 1; }
  else
    [ ! -e "$dir" ] || echo "heapprof: $dir is not a completed meson setup: setting it up again" >&2
    rm -rf "$dir"
    heapprof_quietly meson setup "$dir" "$@" || { echo "heapprof: meson setup $dir failed" >&2; return 1; }
  fi
  heapprof_quietly meson compile -C "$dir" || { echo "heapprof: meson compile -C $dir failed" >&2; return 1; }
}
