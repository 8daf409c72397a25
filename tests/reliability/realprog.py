"""Shared helpers for the real-program reliability tests (test_real_*.py).

A workload is a list of steps (command lines) run in order in a fresh work directory,
once without the preload and once with it. The two runs use the same directory path,
the same environment (HEAPPROF_* and PROCLOG are inert without the preload) and the
same input, so their stdout and exit statuses must be identical, step by step (and,
as these workloads make it deterministic too, their stderr).

In the profiled run LD_PRELOAD is "libheapprof.so libproclog.so": proclog (proclog.c)
records every process the workload starts and how it ended, so the profiles can be
checked process by process: each process that left through exit() has exactly one
profile, heap.<%e>.<%p>.pb.gz, and there are no others. Every profile must then be read
by go tool pprof -top and by `heapprof top`. proclog also logs how many bytes each
process allocated, heapprof's exact count: the truth the heavy processes' sampled
estimates are checked against.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import LIB, check, fail  # noqa: E402,F401

PROCLOG_LIB = os.environ["HEAPPROF_PROCLOG"]
CLI = os.environ["HEAPPROF_CLI"]
# Workloads use the Debian packages only, never pyenv shims or /usr/local.
SYSTEM_PATH = "/usr/bin:/bin"
PACKAGES = {
    "python3": "python3", "perl": "perl", "sqlite3": "sqlite3", "gcc": "gcc", "git": "git",
    "bash": "bash", "make": "make", "redis-server": "redis-server",
    "redis-benchmark": "redis-tools", "redis-cli": "redis-tools", "go": "golang-go",
    "sort": "coreutils", "seq": "coreutils", "tr": "coreutils", "wc": "coreutils",
    "cat": "coreutils", "head": "coreutils", "md5sum": "coreutils", "sed": "sed",
    "awk": "mawk", "grep": "grep", "sh": "dash",
}
# heap.<%e>.<%p>.pb.gz, or with a tag heapprof inserts before the suffix for extra
# profiles of the same process (heap.<%e>.<%p>.peak.pb.gz, the in-use peak).
PROFILE_NAME = re.compile(r"^heap\.(.+)\.(\d+)(?:\.([a-z]+))?\.pb\.gz$")


def require(*programs):
    """Fails (never skips) when a program the test needs is missing."""
    missing = [name for name in programs + ("go",) if not shutil.which(name, path=SYSTEM_PATH)]
    if missing:
        packages = sorted({PACKAGES.get(name, name) for name in missing})
        fail(f"required program(s) not installed: {' '.join(missing)}; "
             f"install with: apt-get install -y {' '.join(packages)}")


def log(message):
    print(message, flush=True)


class Step:
    """One command of a workload. status is the exit status the workload must have
    without the preload; normalize maps stdout to what is compared."""

    def __init__(self, argv, stdin=None, status=0, normalize=None, timeout=300, same_stderr=True):
        self.argv, self.stdin, self.status = argv, stdin, status
        self.normalize, self.timeout = normalize, timeout
        self.same_stderr = same_stderr


class Run:
    def __init__(self, root):
        self.root = root
        self.work = os.path.join(root, "work")
        self.home = os.path.join(root, "home")
        self.profiles = os.path.join(root, "profiles")
        self.proclog = os.path.join(root, "proclog")
        self.results = []  # the profiled run's CompletedProcess per step
        os.makedirs(self.home)
        os.makedirs(self.profiles)

    def env(self, extra):
        env = {
            "PATH": SYSTEM_PATH, "HOME": self.home, "LC_ALL": "C", "LANG": "C", "TZ": "UTC",
            "HEAPPROF_OUT": os.path.join(self.profiles, "heap.%e.%p.pb.gz"),
            "PROCLOG": self.proclog,
        }
        env.update(extra or {})
        return env


def status_text(returncode):
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def run_steps(run, steps, profiled, env, prepare):
    shutil.rmtree(run.work, ignore_errors=True)
    os.makedirs(run.work)
    if prepare:
        prepare(run.work)
    preload = [LIB, PROCLOG_LIB] if profiled else False
    results = []
    for step in steps:
        stdin = open(step.stdin) if step.stdin else None
        try:
            result = harness.run(step.argv, preload=preload, env=run.env(env), cwd=run.work,
                                 timeout=step.timeout, stdin=stdin)
        except subprocess.TimeoutExpired:
            fail(f"{' '.join(step.argv)} timed out after {step.timeout}s "
                 f"({'with' if profiled else 'without'} heapprof)")
        finally:
            if stdin:
                stdin.close()
        results.append(result)
    return results


def compare(run, steps, env=None, prepare=None):
    """Runs the steps without and then with the preload; stdout and exit status must
    match step by step. prepare(work_directory) populates the fresh work directory
    before each run. Returns the profiled run's results (also in run.results)."""
    plain = run_steps(run, steps, False, env, prepare)
    for step, result in zip(steps, plain):
        check(result.returncode == step.status,
              f"workload broken without heapprof: {' '.join(step.argv)} exited {result.returncode}, "
              f"expected {step.status}\nstderr: {result.stderr[-4000:]}")
    profiled = run_steps(run, steps, True, env, prepare)
    for step, before, after in zip(steps, plain, profiled):
        name = " ".join(step.argv)
        check(before.returncode == after.returncode,
              f"{name}: {status_text(after.returncode)} under heapprof, {status_text(before.returncode)} "
              f"without\nstderr under heapprof: {after.stderr[-4000:]}")
        normalize = step.normalize or (lambda text: text)
        check(normalize(before.stdout) == normalize(after.stdout),
              f"{name}: stdout differs under heapprof:\n--- without\n{before.stdout[-4000:]}\n"
              f"--- with\n{after.stdout[-4000:]}")
        # Not required, but these workloads' stderr is deterministic too: compare it.
        if step.same_stderr:
            check(before.stderr == after.stderr,
                  f"{name}: stderr differs under heapprof:\n--- without\n{before.stderr[-4000:]}\n"
                  f"--- with\n{after.stderr[-4000:]}")
        stray = harness.heapprof_lines(after.stderr)
        if "HEAPPROF_VERBOSE" not in (env or {}):
            check(not stray, f"{name}: heapprof printed on stderr:\n" + "\n".join(stray))
    run.results = profiled
    return profiled


def processes(run):
    """{pid: [(event, name), ...]} from the proclog of the profiled run; the "name" of
    an "allocated" event is the count of bytes."""
    table = {}
    if not os.path.exists(run.proclog):
        return table
    with open(run.proclog) as log_file:
        for line in log_file:
            event, pid, name = line.rstrip("\n").split(" ", 2)
            table.setdefault(int(pid), []).append((event, name))
    return table


def profiles(run):
    """({(name, pid): path} of the final profiles, [(name, pid, tag, path)] of tagged
    extra ones); fails on any other file."""
    found, tagged = {}, []
    for entry in sorted(os.listdir(run.profiles)):
        match = PROFILE_NAME.match(entry)
        check(match, f"unexpected file in the profile directory: {entry!r} "
                     f"(all: {sorted(os.listdir(run.profiles))})")
        name, pid, tag = match.group(1), int(match.group(2)), match.group(3)
        path = os.path.join(run.profiles, entry)
        if tag:
            tagged.append((name, pid, tag, path))
        else:
            found[(name, pid)] = path
    return found, tagged


def describe(table, pid):
    return f"pid {pid}: " + ", ".join(f"{event} {name}" for event, name in table[pid])


def check_processes(run, expected_names, may_exit_early=(), exact_names=True):
    """Every process that left through exit() left exactly its profile, and there is no
    profile without such a process. Processes that called _exit() leave none (documented);
    they are allowed only for the names in may_exit_early. A process that ended without
    either (a signal) fails the test. The names of the profiles must be expected_names
    (or include them, if exact_names is False). Tagged extra profiles (.peak) are
    allowed for processes that have their final profile. Returns {(name, pid): path}
    of the final profiles; run.all_profiles has every file, to be read."""
    table = processes(run)
    written, tagged = profiles(run)
    for name, pid, tag, path in tagged:
        check((name, pid) in written, f"{os.path.basename(path)}: a {tag} profile without the final "
                                      f"profile of its process")
    run.all_profiles = dict(written)
    run.all_profiles.update({(name, pid, tag): path for name, pid, tag, path in tagged})
    check(table, f"proclog recorded no process at all ({run.proclog})")
    exited = {}
    for pid, events in table.items():
        last_event, last_name = events[-1]
        if last_event == "exit":
            exited[(last_name, pid)] = True
        elif last_event == "_exit":
            check(last_name in may_exit_early,
                  f"process called _exit(), so it wrote no profile: {describe(table, pid)}")
        else:
            fail(f"process ended without exit() or _exit() (killed by a signal? crashed?): "
                 f"{describe(table, pid)}")
    for key in exited:
        check(key in written, f"process {key[0]} (pid {key[1]}) exited through exit() but left no "
                              f"profile: {describe(table, key[1])}; profiles: {sorted(written)}")
    for key in written:
        check(key in exited, f"profile {os.path.basename(written[key])} is from no process that "
                             f"exited: {describe(table, key[1]) if key[1] in table else 'unknown pid'}")
    names = {name for name, _ in written}
    if exact_names:
        check(names == set(expected_names),
              f"profiles are from {sorted(names)}, expected exactly {sorted(expected_names)}")
    else:
        check(names >= set(expected_names),
              f"profiles are from {sorted(names)}, expected at least {sorted(expected_names)}")
    counts = {}
    for name, _ in written:
        counts[name] = counts.get(name, 0) + 1
    early = sum(1 for events in table.values() if events[-1][0] == "_exit")
    log(f"{len(table)} processes, {len(written)} profiles, {len(tagged)} tagged "
        f"({', '.join(f'{name} x{count}' for name, count in sorted(counts.items()))})"
        + (f", {early} ended in _exit()" if early else ""))
    return written


def clean_env():
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def check_readable(run):
    """go tool pprof -top (in-use and alloc_space) and heapprof top read every profile
    check_processes found, tagged ones included."""
    check(run.all_profiles, "no profile to read")
    for path in sorted(run.all_profiles.values()):
        harness.pprof(path, "-top")
        harness.pprof(path, "-top", "-sample_index=alloc_space")
        result = subprocess.run([CLI, "top", path], capture_output=True, text=True, timeout=120, env=clean_env())
        check(result.returncode == 0 and "flat" in result.stdout,
              f"heapprof top {path} exited {result.returncode}:\n{result.stderr[-4000:]}")


def alloc_space(profile):
    """Total estimated bytes allocated in the profile, by go tool pprof."""
    return sum(flat for flat, _ in harness.top(profile, "alloc_space").values())


def functions(profile):
    """The function names go tool pprof shows for the profile (alloc_space)."""
    return set(harness.top(profile, "alloc_space"))


def sampling_rate(profile):
    """The profile's sampling rate, its Period."""
    return int(re.search(r"^Period: (\d+)$", harness.pprof(profile, "-raw"), re.MULTILINE).group(1))


def check_sampled(run, profile, minimum_bytes, some_function=None):
    """The profile of a heavy process: the process allocated at least minimum_bytes (its
    exact count, from proclog), the profile's estimate is within 4.5 standard deviations
    (and 0.1%) of that count either way, and (optionally) a frame's name matches
    some_function, to show symbolization worked on a stripped distro binary. Returns
    the estimate."""
    name = os.path.basename(profile)
    events = processes(run)[int(PROFILE_NAME.match(name).group(2))]
    counts = [int(count) for event, count in events if event == "allocated"]
    check(counts, f"{name}: proclog logged no byte count for the process: {events}")
    truth = counts[-1]
    check(truth >= minimum_bytes, f"{name}: the process allocated {truth} bytes, expected at least {minimum_bytes}")
    total = alloc_space(profile)
    sd = harness.mixed_sizes_sd(truth, sampling_rate(profile))
    log(f"{name}: {truth} bytes allocated, estimated {total} ({(total - truth) / sd:+.1f} standard deviations)")
    # The count includes allocations never sampled by design (docs/reliability.md): a few
    # KiB of heapprof's start-up, and those of threads in their last destructors.
    harness.check_near(total, truth, sd, 4.5, f"{name}: bytes allocated", allowance=truth / 1000)
    if some_function:
        names = functions(profile)
        check(any(re.search(some_function, name) for name in names),
              f"{os.path.basename(profile)}: no function matching {some_function!r} in "
              f"{sorted(names)[:60]}")
    return total


def scratch():
    return tempfile.TemporaryDirectory(prefix="heapprof-real-")


def only(written, name):
    """The single profile of the named program."""
    paths = [path for (profile_name, _), path in written.items() if profile_name == name]
    check(len(paths) == 1, f"expected one {name} profile, have {paths}")
    return paths[0]
