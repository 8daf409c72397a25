#!/usr/bin/env bash
# Measures the test suite: applies each deliberate bug of tests/mutants/mutants.txt alone to
# a scratch copy of this checkout, builds it, runs the tests the mutant names, and reports
# it killed (a test failed or timed out) or survived. The checkout itself is never touched.
#   scripts/mutants.sh                    every mutant, one at a time (slow: an hour or two)
#   scripts/mutants.sh -j 2 NAME...       these mutants, two at once
#   scripts/mutants.sh --check            only whether every anchor still matches once
#   scripts/mutants.sh --list             the mutants, their files and bugs
# Options: -j N (mutants at once), --keep (keep each scratch tree and build), --no-baseline
# (skip the unmutated run that first shows the chosen tests pass), --scratch DIR.
# Exit status: 0 all killed, 2 some survived, 1 an error (an anchor that no longer
# matches once, a mutant that does not compile, a failing baseline).
# tests/mutants/README.md describes the list's format.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
mutants_file=$repo/tests/mutants/mutants.txt
# One mutant's whole test run; each test also has meson's own timeout.
run_limit_seconds=1800

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 1
}

# mutants_tool COMMAND ARGS...: reads the list. check ROOT | names | list |
# apply NAME ROOT | tests NAME TEST_LIST (the test names, one a line, of `meson test --list`).
mutants_tool() {
  python3 - "$mutants_file" "$@" <<'PY'
import os, re, sys

path, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]


def fail(message):
    sys.exit(f"{os.path.relpath(path)}: {message}")


def parse():
    mutants, current = [], None
    for number, line in enumerate(open(path).read().split("\n"), 1):
        field = re.match(r"(mutant|file|tests|bug): ?(.*)$", line)
        if line.startswith(("-", "+")):
            if not current:
                fail(f"line {number}: an anchor line before any 'mutant:'")
            current["-" if line[0] == "-" else "+"].append(line[1:])
            if line[0] == "-" and current["+"]:
                fail(f"line {number}: {current['name']}: anchor lines must all come before the replacement")
        elif field and field[1] == "mutant":
            current = {"name": field[2], "line": number, "-": [], "+": []}
            mutants.append(current)
        elif field and current:
            current[field[1]] = field[2]
        elif line.strip() and not line.startswith("#"):
            fail(f"line {number}: not a field, an anchor line ('-') or a replacement line ('+'): {line!r}")
    names = set()
    for mutant in mutants:
        where = f"line {mutant['line']}: {mutant['name']}"
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", mutant["name"]) or mutant["name"] in names:
            fail(f"{where}: a name must be unique, lower case words joined by '-'")
        names.add(mutant["name"])
        for key in ("file", "tests", "bug"):
            if not mutant.get(key):
                fail(f"{where}: no '{key}:'")
        if not mutant["-"]:
            fail(f"{where}: no anchor ('-' lines)")
        mutant["anchor"] = "\n".join(mutant["-"]) + "\n"
        mutant["replacement"] = "\n".join(mutant["+"]) + "\n" if mutant["+"] else ""
        if mutant["anchor"] == mutant["replacement"]:
            fail(f"{where}: the replacement is the anchor")
    return mutants


def line_starts(text, anchor):
    """Where `anchor` occurs in `text` as whole lines."""
    found, start = [], 0
    while (index := text.find(anchor, start)) >= 0:
        if index == 0 or text[index - 1] == "\n":
            found.append(index)
        start = index + 1
    return found


def anchor_problem(mutant, root):
    target = os.path.join(root, mutant["file"])
    if not os.path.isfile(target):
        return f"{mutant['file']} does not exist"
    count = len(line_starts(open(target).read(), mutant["anchor"]))
    return None if count == 1 else f"its anchor matches {count} times in {mutant['file']}, not once"


def named(name):
    for mutant in parse():
        if mutant["name"] == name:
            return mutant
    fail(f"no mutant named {name}")


if command == "check":
    mutants = parse()
    problems = [f"{m['name']} (line {m['line']}): {problem}" for m in mutants
                if (problem := anchor_problem(m, args[0]))]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(f"{len(problems)} of {len(mutants)} mutants no longer apply: update {os.path.relpath(path)}")
    print(f"{len(mutants)} mutants, every anchor matching once")
elif command == "names":
    print("\n".join(m["name"] for m in parse()))
elif command == "list":
    for mutant in parse():
        print(f"{mutant['name']:36} {mutant['file']:32} {mutant['bug']}")
elif command == "apply":
    mutant, root = named(args[0]), args[1]
    if problem := anchor_problem(mutant, root):
        fail(f"{mutant['name']}: {problem}")
    target = os.path.join(root, mutant["file"])
    text = open(target).read()
    index = line_starts(text, mutant["anchor"])[0]
    with open(target, "w") as out:
        out.write(text[:index] + mutant["replacement"] + text[index + len(mutant["anchor"]):])
elif command == "tests":
    mutant = named(args[0])
    known = open(args[1]).read().split()
    chosen = []
    for token in mutant["tests"].split():
        if token.startswith("suite:"):
            suite = [name for line in open(args[1] + ".suites") for suite_name, name in [line.split()]
                     if suite_name == token[6:]]
            if not suite:
                fail(f"{mutant['name']}: no test in suite {token[6:]}")
            chosen += suite
        elif token in known:
            chosen.append(token)
        else:
            fail(f"{mutant['name']}: no test named {token}")
    print("\n".join(dict.fromkeys(chosen)))
else:
    fail(f"unknown command {command}")
PY
}

jobs=1 keep=false baseline=true scratch= selected=()
while [ $# -gt 0 ]; do
  case $1 in
  -j) jobs=${2:?}; shift ;;
  -j*) jobs=${1#-j} ;;
  --keep) keep=true ;;
  --no-baseline) baseline=false ;;
  --scratch) scratch=${2:?}; shift ;;
  --check) mutants_tool check "$repo"; exit ;;
  --list) mutants_tool list; exit ;;
  -h | --help) usage ;;
  -*) echo "unknown option $1" >&2; usage ;;
  *) selected+=("$1") ;;
  esac
  shift
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "-j wants a positive number" >&2; exit 1; }

mutants_tool check "$repo" >/dev/null || exit 1
mapfile -t all < <(mutants_tool names)
if [ ${#selected[@]} -eq 0 ]; then
  selected=("${all[@]}")
else
  for name in "${selected[@]}"; do
    printf '%s\n' "${all[@]}" | grep -qx -- "$name" || { echo "no mutant named $name" >&2; exit 1; }
  done
fi

scratch=${scratch:-$(mktemp -d "${TMPDIR:-/tmp}/heapprof-mutants.XXXXXX")}
mkdir -p "$scratch/logs" || exit 1
# The scratch copy: every file git tracks or would track, as it is in the checkout now.
pristine=$scratch/pristine
rm -rf "$pristine" && mkdir -p "$pristine" || exit 1
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
  tar --null -T - -cf -) | tar -xf - -C "$pristine" || exit 1
commit=$(git -C "$repo" rev-parse --short HEAD)
[ -z "$(git -C "$repo" status --porcelain)" ] || commit="$commit with uncommitted changes"
# Builds in different trees share ccache's cache when paths are taken relative to here.
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$scratch CCACHE_NOHASHDIR=true
fi
cores=$(nproc)
test_processes=$((cores / jobs > 0 ? cores / jobs : 1))

cleanup() {
  $keep || rm -rf "$pristine" "$scratch"/work.*
}
trap cleanup EXIT

# build TREE BUILD LOG: false when the tree does not build.
build() {
  meson setup "$2" "$1" >>"$3" 2>&1 && meson compile -C "$2" >>"$3" 2>&1
}

# run_tests BUILD LOG MAXFAIL TESTS...: prints "passed", "failed TEST..." or
# "error WHY".
run_tests() {
  local build=$1 log=$2 maxfail=$3
  shift 3
  timeout --kill-after=60 "$run_limit_seconds" meson test -C "$build" --no-rebuild --print-errorlogs \
    --num-processes "$test_processes" --maxfail "$maxfail" "$@" >>"$log" 2>&1
  local status=$?
  if [ $status -eq 124 ] || [ $status -eq 137 ]; then
    echo "error the tests ran past ${run_limit_seconds} s"
    return
  fi
  python3 - "$build/meson-logs/testlog.json" "$status" <<'PY'
import json, sys
try:
    results = [json.loads(line) for line in open(sys.argv[1])]
except OSError:
    sys.exit(print("error meson test wrote no log"))
failed = [r["name"].split(" / ")[-1] for r in results
          if r["result"] in ("FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS")]
if failed:
    print("failed", " ".join(failed))
elif sys.argv[2] == "0":
    print("passed")
else:
    print(f"error meson test exited {sys.argv[2]} with no test failing")
PY
}

# Lists the project's tests by name and by suite, from a build of the pristine tree.
list_tests() {
  meson test -C "$1" --list 2>/dev/null | sed -n 's/^[^:]*:\([^ ]*\) \/ \(.*\)$/\1 \2/p' >"$scratch/tests.suites"
  cut -d' ' -f2 "$scratch/tests.suites" >"$scratch/tests"
  [ -s "$scratch/tests" ]
}

# run_mutant NAME: one line, "killed", "SURVIVED" or "ERROR", with the name and detail.
run_mutant() {
  local name=$1 started=$SECONDS
  local work=$scratch/work.$name log=$scratch/logs/$name.log
  local outcome detail tests
  rm -rf "$work" && mkdir -p "$work" && : >"$log"
  mapfile -t tests < <(mutants_tool tests "$name" "$scratch/tests")
  if ! cp -a "$pristine" "$work/tree" || ! mutants_tool apply "$name" "$work/tree" >>"$log" 2>&1; then
    outcome=ERROR detail="could not apply"
  elif ! build "$work/tree" "$work/build" "$log"; then
    outcome=ERROR detail="does not compile (make every mutant compile)"
  else
    read -r outcome detail < <(run_tests "$work/build" "$log" 1 "${tests[@]}")
    case $outcome in
    failed) outcome=killed detail="by $detail" ;;
    passed) outcome=SURVIVED detail="${#tests[@]} tests passed" ;;
    *) outcome=ERROR ;;
    esac
  fi
  $keep || rm -rf "$work"
  printf '%-9s %-36s %5ds  %s\n' "$outcome" "$name" $((SECONDS - started)) "$detail" | tee "$scratch/logs/$name.result"
}

echo "mutants of $commit in $repo: ${#selected[@]} of ${#all[@]}, $jobs at a time; logs in $scratch/logs"
reference=$scratch/work.reference
rm -rf "$reference" && mkdir -p "$reference"
if ! build "$pristine" "$reference/build" "$scratch/logs/baseline.log" || ! list_tests "$reference/build"; then
  echo "the unmutated tree does not build: $scratch/logs/baseline.log" >&2
  exit 1
fi
for name in "${selected[@]}"; do
  mutants_tool tests "$name" "$scratch/tests" >/dev/null || exit 1
done
if $baseline; then
  mapfile -t union < <(for name in "${selected[@]}"; do mutants_tool tests "$name" "$scratch/tests"; done | sort -u)
  read -r outcome detail < <(run_tests "$reference/build" "$scratch/logs/baseline.log" 0 "${union[@]}")
  if [ "$outcome" != passed ]; then
    echo "without any mutant, the chosen tests do not pass ($outcome $detail): $scratch/logs/baseline.log" >&2
    exit 1
  fi
  echo "baseline: the ${#union[@]} chosen tests pass without any mutant"
fi
rm -rf "$reference"

for name in "${selected[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n
  done
  run_mutant "$name" &
done
wait

killed=0 survivors=() errors=()
for name in "${selected[@]}"; do
  case $(cut -d' ' -f1 "$scratch/logs/$name.result" 2>/dev/null) in
  killed) killed=$((killed + 1)) ;;
  SURVIVED) survivors+=("$name") ;;
  *) errors+=("$name") ;;
  esac
done
judged=$((killed + ${#survivors[@]}))
[ ${#survivors[@]} -eq 0 ] || echo "survived: ${survivors[*]}"
[ ${#errors[@]} -eq 0 ] || echo "errors: ${errors[*]}"
echo "score: $killed killed of $judged ($((judged ? 100 * killed / judged : 0))%), ${#survivors[@]} survived," \
  "${#errors[@]} errors; $commit, $(date +%F)"
[ ${#errors[@]} -eq 0 ] || exit 1
[ ${#survivors[@]} -eq 0 ] || exit 2
