# Sourced by the other scripts: installs the Debian packages heapprof needs to build and test.
heapprof_packages=(
  meson ninja-build pkg-config gcc g++ python3
  libunwind-dev libdw-dev libelf-dev libzstd-dev zlib1g-dev
  libprotobuf-c-dev protobuf-c-compiler
  golang-go
)

# What the tests run besides: other allocators, real programs, compressors.
heapprof_test_packages=(
  libjemalloc2 libtcmalloc-minimal4 zstd binutils
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
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

heapprof_build() {
  [ -d build ] || meson setup build >/dev/null
  meson compile -C build >/dev/null
}
