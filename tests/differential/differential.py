#!/usr/bin/env python3
"""The differential random tester: random valid profiles and random flags
through go tool pprof (Debian's golang-go 1.19, whose vendored pprof is the
reference) and heapprof top, diff and list, compared byte for byte on stdout
and stderr, and on whether the command succeeded (README.md).

    differential.py HEAPPROF --seed N [--keep DIR]   one seed, shown in full
    differential.py HEAPPROF --seeds-file FILE       the seeds of a list
    differential.py HEAPPROF --count N [--start S]   N seeds from S (random S
                                                     when not given)
    options: --jobs J, --findings DIR (failing seeds' files and commands)

Each seed makes one profile (sometimes with a base profile and source
files), then runs a few commands on it. A seed always makes the same
profile and commands, so a failing seed is repeated with --seed N. Exit
status 1 when any comparison differs, 77 when Go is not installed."""

import argparse
import concurrent.futures
import difflib
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import random_profiles  # noqa: E402

# go tool pprof tries to symbolize from the binaries a profile's mappings name
# and says when it cannot; heapprof top and list read no binaries (docs/cli.md).
BINARY_NOTES = re.compile(rb"^(Local symbolization failed for .*|Some binary filenames not available\. .*"
                          rb"|Try setting PPROF_BINARY_PATH .*)\n", re.M)
# pprof warns of a numeric label's other units in Go's random map order.
LABEL_UNIT_WARNINGS = re.compile(rb"(?:^For tag .*\n)+", re.M)
RUN_SECONDS = 60


def pprof_binary():
    if not shutil.which("go"):
        return None
    tool_dir = subprocess.run(["go", "env", "GOTOOLDIR"], capture_output=True, text=True).stdout.strip()
    path = os.path.join(tool_dir, "pprof")
    return path if os.access(path, os.X_OK) else None


def run(argv, env, cwd):
    try:
        done = subprocess.run(argv, capture_output=True, env=env, cwd=cwd, timeout=RUN_SECONDS)
        return done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired:
        return "timeout", b"", b""


def in_order(stderr):
    return LABEL_UNIT_WARNINGS.sub(lambda block: b"".join(sorted(block[0].splitlines(True))), stderr)


def compare(case, pprof, heapprof):
    """(what differs or None, whether pprof printed a report)."""
    want_status, want_out, want_err = run([pprof] + case.pprof_args, case.env, case.cwd)
    got_status, got_out, got_err = run([heapprof] + case.heapprof_args, case.env, case.cwd)
    want_err, got_err = in_order(BINARY_NOTES.sub(b"", want_err)), in_order(got_err)
    if want_status == "timeout" or got_status == "timeout":
        return f"timed out (pprof {want_status}, heapprof {got_status})", False
    if (want_status == 0) != (got_status == 0):
        return (f"pprof exited {want_status}, heapprof {got_status}\n"
                f"pprof stderr: {want_err.decode(errors='replace')[:1500]}\n"
                f"heapprof stderr: {got_err.decode(errors='replace')[:1500]}\n"
                f"{unified(want_out, got_out, 'stdout')}"), want_status == 0
    if want_status != 0:
        # Both refused: pprof words its errors its own way (and exits 2 for
        # all of them); heapprof prints one "heapprof:" line (exit 1 or 2).
        lines = got_err.decode(errors="replace").splitlines()
        if got_out or not lines or not lines[-1].startswith("heapprof: ") and got_status != 2:
            return f"heapprof failed without its one error line:\n{got_err.decode(errors='replace')[:1500]}", False
        return None, False
    if want_out != got_out or want_err != got_err:
        return unified(want_out, got_out, "stdout") + unified(want_err, got_err, "stderr"), True
    return None, True


def unified(want, got, name):
    if want == got:
        return ""
    diff = difflib.unified_diff(want.decode(errors="replace").splitlines(True),
                                got.decode(errors="replace").splitlines(True),
                                f"go tool pprof ({name})", f"heapprof ({name})")
    return "".join(diff)[:4000]


def command_line(args, env, cwd):
    changed = {k: v for k, v in env.items() if os.environ.get(k) != v and k in random_profiles.ENV_KEYS}
    unset = [k for k in random_profiles.ENV_KEYS if k in os.environ and k not in env]
    prefix = "".join(f"-u {k} " for k in unset)
    assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(changed.items()))
    return f"(cd {shlex.quote(cwd)} && env {prefix}{assigns} {shlex.join(args)})"


def check_seed(seed, pprof, heapprof, keep=None):
    """Returns (comparisons, reports, failures): failures are texts; reports
    count the comparisons where pprof printed a report, not an error."""
    work = keep or tempfile.mkdtemp(prefix=f"heapprof-differential-{seed}-")
    failures, reports = [], 0
    try:
        cases = random_profiles.make_seed(seed, work)
        for case in cases:
            failure, reported = compare(case, pprof, heapprof)
            if failure:
                failures.append(f"FAIL seed {seed}: {case.label}\n"
                                f"  pprof:    {command_line([pprof] + case.pprof_args, case.env, case.cwd)}\n"
                                f"  heapprof: {command_line([heapprof] + case.heapprof_args, case.env, case.cwd)}\n"
                                f"{failure}")
            reports += reported
        return len(cases), reports, failures
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def read_seeds(path):
    """Seeds and ranges A-B, separated by white space; '#' starts a comment.
    Each seed once, in order."""
    seeds = set()
    with open(path) as lines:
        for line in lines:
            for word in line.split("#", 1)[0].split():
                first, _, last = word.partition("-")
                seeds.update(range(int(first), int(last or first) + 1))
    return sorted(seeds)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("heapprof")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--seeds-file")
    parser.add_argument("--count", type=int)
    parser.add_argument("--start", type=int)
    parser.add_argument("--keep", help="with --seed: write the seed's files here and keep them")
    parser.add_argument("--findings", help="keep the files of each failing seed under this directory")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    pprof = pprof_binary()
    if not pprof:
        print("go is not installed: nothing to compare with")
        return 77
    heapprof = os.path.abspath(args.heapprof)
    if args.seed is not None:
        keep = os.path.abspath(args.keep) if args.keep else None
        if keep:
            os.makedirs(keep, exist_ok=True)
        count, reports, failures = check_seed(args.seed, pprof, heapprof, keep)
        print("\n".join(failures) if failures else
              f"seed {args.seed}: {count} comparisons identical ({reports} reports, the rest errors on both sides)")
        return 1 if failures else 0
    if args.seeds_file:
        seeds = read_seeds(args.seeds_file)
    else:
        start = args.start if args.start is not None else random.randrange(1 << 31)
        seeds = range(start, start + (args.count or 100))
        print(f"seeds {start} to {start + len(seeds) - 1}", flush=True)
    started = time.monotonic()
    comparisons, reports, failed_seeds = 0, 0, []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for seed, (count, reported, failures) in zip(seeds, pool.map(lambda s: check_seed(s, pprof, heapprof), seeds)):
            comparisons += count
            reports += reported
            if failures:
                failed_seeds.append(seed)
                print("\n".join(failures), flush=True)
                if args.findings:
                    check_seed(seed, pprof, heapprof, os.path.join(os.path.abspath(args.findings), str(seed)))
    elapsed = time.monotonic() - started
    print(f"{len(seeds)} seeds, {comparisons} comparisons ({reports} reports) in {elapsed:.0f} s: "
          f"{len(failed_seeds)} seeds differ{': ' + ' '.join(map(str, failed_seeds)) if failed_seeds else ''}")
    return 1 if failed_seeds else 0


if __name__ == "__main__":
    sys.exit(main())
