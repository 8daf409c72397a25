"""Shared helpers for the integration tests: run programs with and without the
preload, find the profiles they wrote, and read them with go tool pprof."""
import glob
import math
import os
import re
import subprocess
import sys
import tempfile

LIB = os.environ["HEAPPROF_LIB"]
PROGRAMS = os.environ["HEAPPROF_PROGRAMS"]
SAMPLE_TYPES = ("alloc_objects", "alloc_space", "inuse_objects", "inuse_space")


def program(name):
    return os.path.join(PROGRAMS, name)


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def scratch_dir():
    return tempfile.TemporaryDirectory(prefix="heapprof-test-")


def run(argv, preload=True, env=None, cwd=None, timeout=240, stdin=None):
    """Runs argv; preload is True (heapprof), False, or a list of libraries. A variable
    that env sets to None is removed from the environment."""
    full_env = dict(os.environ)
    full_env.pop("LD_PRELOAD", None)
    if preload is True:
        full_env["LD_PRELOAD"] = LIB
    elif preload:
        full_env["LD_PRELOAD"] = " ".join(preload)
    for name, value in (env or {}).items():
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
    return subprocess.run(argv, env=full_env, cwd=cwd, timeout=timeout, capture_output=True,
                          text=True, stdin=stdin if stdin is not None else subprocess.DEVNULL)


def heapprof_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("heapprof:")]


def same_behaviour(argv, env=None, cwd=None, preload=True, baseline_preload=False, timeout=240):
    """Runs with and without the profiler; both stdout and exit status must match.
    The HEAPPROF_* part of env is inert without the preload, so both runs get env.
    Returns the profiled run."""
    plain = run(argv, preload=baseline_preload, env=env, cwd=cwd, timeout=timeout)
    profiled = run(argv, preload=preload, env=env, cwd=cwd, timeout=timeout)
    check(plain.returncode == profiled.returncode,
          f"{argv[0]}: exit status {profiled.returncode} under heapprof, {plain.returncode} without\n"
          f"stderr: {profiled.stderr}")
    check(plain.stdout == profiled.stdout,
          f"{argv[0]}: stdout differs under heapprof:\n--- without\n{plain.stdout}\n--- with\n{profiled.stdout}")
    return profiled


def profiles_in(directory, pattern="*.pb*"):
    """The profiles written at exit, without the peak profiles beside them."""
    return sorted(path for path in glob.glob(os.path.join(directory, pattern)) if ".peak." not in path)


def pprof(profile, *args):
    env = dict(os.environ, TZ="UTC")
    env.pop("LD_PRELOAD", None)
    result = subprocess.run(["go", "tool", "pprof", *args, profile], env=env, capture_output=True,
                            text=True, timeout=240)
    check(result.returncode == 0, f"go tool pprof {' '.join(args)} {profile} failed:\n{result.stderr}")
    return result.stdout


def check_readable(profile, list_regex):
    """go tool pprof -top, -traces and -list all read the profile."""
    for sample_type in SAMPLE_TYPES:
        pprof(profile, "-top", "-sample_index=" + sample_type)
    traces = pprof(profile, "-traces")
    check("-----------+" in traces, f"{profile}: -traces shows no samples")
    listing = pprof(profile, "-list", list_regex, "-sample_index=alloc_space")
    check("ROUTINE" in listing, f"{profile}: -list {list_regex} shows no routine:\n{listing}")
    return traces


ROW = re.compile(r"^\s*(-?\d+)B?\s+\S+%\s+\S+%\s+(-?\d+)B?\s+\S+%\s+(.+?)\s*$")


def top(profile, sample_index):
    """{function: (flat, cum)} from go tool pprof -top, every node, exact values."""
    args = ["-top", "-sample_index=" + sample_index, "-nodecount=1000000", "-nodefraction=0",
            "-edgefraction=0"]
    if sample_index.endswith("space"):
        args.append("-unit=B")
    rows = {}
    for line in pprof(profile, *args).splitlines():
        match = ROW.match(line)
        if match:
            rows[match.group(3)] = (int(match.group(1)), int(match.group(2)))
    return rows


def expected_rows(stdout, first_field=0):
    """Lines "site alloc_objects alloc_space inuse_objects inuse_space" printed by a program."""
    rows = {}
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) == 5 and all(field.isdigit() for field in fields[1:]):
            rows[fields[0]] = dict(zip(SAMPLE_TYPES, map(int, fields[1:])))
    return rows


def check_exact(profile, expected):
    """Every expected site shows exactly its totals as flat values."""
    check(expected, f"{os.path.basename(profile)}: no expected totals to check")
    for sample_type in SAMPLE_TYPES:
        rows = top(profile, sample_type)
        for site, totals in expected.items():
            flat = rows.get(site, (0, 0))[0]
            check(flat == totals[sample_type],
                  f"{os.path.basename(profile)}: {site} {sample_type} is {flat}, expected {totals[sample_type]}")


def relative_sd(objects, size, rate):
    """The relative standard deviation of the unsampled estimate of `objects`
    allocations of `size` bytes at `rate`: each is sampled with probability
    p = 1 - exp(-size/rate), so the number of samples is binomial."""
    p = 1 - math.exp(-size / rate)
    return math.sqrt((1 - p) / (objects * p))


def mixed_sizes_sd(total_bytes, rate):
    """An upper bound on the standard deviation of the estimated bytes of allocations
    totalling total_bytes, whatever their sizes: one of s bytes adds
    s^2 (1 - p) / p <= s * rate to the variance."""
    return math.sqrt(total_bytes * rate)


def check_near(estimate, truth, sd, deviations, what, allowance=0):
    """An estimate at most `deviations` standard deviations (plus `allowance`) from the
    truth, either way."""
    check(abs(estimate - truth) <= deviations * sd + allowance,
          f"{what}: estimate {estimate}, truth {truth}: {abs(estimate - truth) / sd:.1f} standard deviations "
          f"off, more than {deviations}" + (f" and {allowance:.0f} bytes" if allowance else ""))
