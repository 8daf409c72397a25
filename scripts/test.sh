#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
# - every suite in the normal build;
# - the suites that name frames again as a fresh machine sees them, without this
#   machine's debug files (scripts/fresh_machine.sh);
# - the unit and CLI suites again under AddressSanitizer and UndefinedBehaviorSanitizer
#   (the CLI sanitized; the library its tests preload and the program they profile come
#   from the normal build, -Dpreload_build), and the unit suite under ThreadSanitizer.
# Ends with one line: "N passed, N failed, N skipped". With CI=true (.ci/run), a skipped
# test counts as failed unless allowed_skips below names it.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
heapprof_install_deps "${heapprof_test_packages[@]}" || exit 1
heapprof_build build || exit 1

# "test name: why it may skip in CI". A skip means a check did not run, so none is
# allowed at present: every test here can run on the CI machine (Debian 12, as root,
# with the packages above).
allowed_skips=()

status=0
logs=()
# run_suites BUILD NAME [--fresh-machine] MESON-TEST-ARGS...: one meson test run,
# logged as BUILD/meson-logs/NAME.json.
run_suites() {
  local build=$1 name=$2 runner=()
  shift 2
  if [ "${1:-}" = --fresh-machine ]; then
    runner=(scripts/fresh_machine.sh)
    shift
  fi
  "${runner[@]}" meson test -C "$build" --print-errorlogs --num-processes 2 --logbase "$name" "$@" || status=1
  logs+=("$build/meson-logs/$name.json")
}

run_suites build all
# The suites whose tests name frames (the CLI's comparisons with Go's profiles do not).
run_suites build fresh-machine --fresh-machine --suite unit --suite integration --suite reliability
run_suites build fresh-machine-cli --fresh-machine cli-compare-library cli-run-and-symbolize

if heapprof_build build-address -Db_sanitize=address,undefined -Db_lundef=false -Dpreload_build="$PWD/build"; then
  UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" run_suites build-address sanitized --suite unit --suite cli
else
  status=1
fi
if heapprof_build build-thread -Db_sanitize=thread -Db_lundef=false; then
  # TSan's deadlock detector cannot follow 256 locks held at once (the fork path).
  TSAN_OPTIONS="detect_deadlocks=0 halt_on_error=1" run_suites build-thread unit --suite unit
else
  status=1
fi

CI="${CI:-}" python3 - "${#allowed_skips[@]}" "${allowed_skips[@]}" "${logs[@]}" <<'PY' || status=1
import json, os, sys
allowed_count = int(sys.argv[1])
allowed = {entry.split(":")[0] for entry in sys.argv[2:2 + allowed_count]}
counts = {"passed": 0, "failed": 0, "skipped": 0}
unexplained = []
for path in sys.argv[2 + allowed_count:]:
    if not os.path.exists(path):
        print(f"no test log {path}: the run did not start")
        counts["failed"] += 1
        continue
    with open(path) as log:
        for line in log:
            test = json.loads(line)
            name = test["name"].split(" / ")[-1]  # "project:suite / name"
            if test["result"] in ("OK", "EXPECTEDFAIL"):
                counts["passed"] += 1
            elif test["result"] == "SKIP" and (os.environ["CI"] != "true" or name in allowed):
                counts["skipped"] += 1
            elif test["result"] == "SKIP":
                counts["failed"] += 1
                unexplained.append(f"{name} ({path})")
            else:
                counts["failed"] += 1
if unexplained:
    print("skipped, and not allowed to skip under CI=true (scripts/test.sh, allowed_skips):",
          ", ".join(unexplained))
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
sys.exit(1 if unexplained else 0)
PY
exit $status
