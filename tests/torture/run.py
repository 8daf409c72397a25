#!/usr/bin/env python3
"""Builds generated host programs and runs each with and without heapprof: it must
finish, end the same way, print the same, leave a readable profile for every process
that exits normally and, at rate 1, count exactly what the program counted.

  tests/torture/run.py --seed 17                 one seed; on failure, how to rerun it by hand
  tests/torture/run.py --first 1 --count 500 --jobs 2 --summary
  tests/torture/run.py --list tests/torture/seeds.txt          the regression seeds
  tests/torture/run.py --list tests/torture/open.txt --expect-fail
  tests/torture/run.py --seed 17 --describe      what the seed generates, without running it

The rules and the open failures are in README.md."""
import argparse
import collections
import concurrent.futures
import fnmatch
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE_TYPES = ("alloc_objects", "alloc_space", "inuse_objects", "inuse_space")
NORMAL_ENDINGS = ("exit", "return", "pthread_exit")
EXPECTED_STATUS = {"exit": None, "return": None, "_exit": None, "abort": -signal.SIGABRT, "pthread_exit": 0}
ROW = re.compile(r"^\s*(-?\d+)B?\s+\S+%\s+\S+%\s+(-?\d+)B?\s+\S+%\s+(.+?)\s*$")


class Failure(Exception):
    pass


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def describe_status(status):
    return f"killed by {signal_name(-status)}" if status < 0 else f"exit status {status}"


class Settings:
    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.work = os.path.abspath(args.work or os.path.join(self.build, "torture"))
        self.library = os.path.join(self.build, "src", "libheapprof.so")
        self.cli = os.path.join(self.build, "tools", "heapprof")
        self.bump = os.path.join(self.build, "tests", "stress", "libbump_allocator.so")
        self.timeout = args.timeout
        self.keep = args.keep
        for path in (self.library, self.cli, self.bump):
            if not os.path.exists(path):
                sys.exit(f"{path} is missing: build first (meson compile -C {self.build})")


class Run:
    """One run of the program: its status, its output, and what its processes logged."""

    def __init__(self, status, stdout, stderr, seconds, hang=None):
        self.status, self.stdout, self.seconds, self.hang = status, stdout, seconds, hang
        self.starts, self.ends, self.stderr, self.crashes = {}, {}, [], []
        # {process: {site: [alloc_objects, alloc_space, inuse_objects, inuse_space]}}
        self.counts = collections.defaultdict(dict)
        for line in stderr.splitlines():
            fields = line.split(" ", 4)
            if line.startswith("TORTURE-CRASH "):
                self.crashes.append(line.split()[1:])
            elif line.startswith("TORTURE-LOG start ") and len(fields) == 5:
                self.starts[fields[2]] = (int(fields[3]), fields[4])
            elif line.startswith("TORTURE-LOG end ") and len(fields) == 5:
                self.ends[fields[2]] = (int(fields[3]), fields[4])
            elif line.startswith("TORTURE-LOG count ") and len(fields) == 5:
                site, *values = fields[4].split()
                self.counts[fields[2]][site] = [int(value) for value in values]
            else:
                self.stderr.append(line)

    def output(self):
        """Each thread's lines in its order; the threads' interleaving is not the program's."""
        groups = collections.defaultdict(list)
        for line in self.stdout.splitlines():
            groups[line.split(":", 1)[0]].append(line)
        return [line for tag in sorted(groups) for line in groups[tag]]


def process_group(leader):
    """The pids of the processes in `leader`'s process group."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == leader:
                members.append(int(entry))
    return members


def live_task(pid):
    """A thread of the process that gdb can attach to: not the leader if it has exited."""
    try:
        for task in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
            with open(f"/proc/{pid}/task/{task}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    return int(task)
    except OSError:
        pass
    return pid


def backtraces(pids):
    """gdb's backtrace of every thread of each process: where a hang waits."""
    traces = {}
    for pid in pids[:8]:
        try:
            result = subprocess.run(["gdb", "-p", str(live_task(pid)), "-batch", "-nx", "-ex",
                                     "thread apply all bt 30"], capture_output=True, text=True, timeout=60)
            traces[pid] = result.stdout
        except (OSError, subprocess.TimeoutExpired):
            traces[pid] = ""
    return traces


FRAME = re.compile(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(")
OURS = re.compile(r"libheapprof\.so| at (\.\./)*src/")
# A module's exported functions carry its name (thread_registry_totals): the innermost
# of those names a hang better than a helper inlined into a loop.
MODULES = sorted((os.path.splitext(name)[0] for _, _, files in os.walk(os.path.join(ROOT, "src"))
                  for name in files if name.endswith(".c")), key=len, reverse=True)


def is_module_function(function):
    return any(function.startswith(module + "_") for module in MODULES)


def module_function(functions):
    return next((function for function in functions if is_module_function(function)), functions[0])


def hang_where(traces, run, scenario):
    """(kind, detail): where the program's threads wait. heapprof's helper thread (one
    that heapprof's own code started) waits in heapprof by design and says nothing by
    itself."""
    names = {pid: name for name, (pid, _) in run.starts.items()}
    inside, orphaned, detail = [], [], []
    for pid, trace in traces.items():
        program_threads = 0
        for thread in trace.split("\nThread ")[1:]:
            frames = [(FRAME.match(line).group(1), bool(OURS.search(line)))
                      for line in thread.splitlines() if FRAME.match(line)]
            functions = [function for function, _ in frames]
            ours = [function for function, in_heapprof in frames if in_heapprof]
            start = functions.index("start_thread") if "start_thread" in functions else 0
            if not (start and frames[start - 1][1]):
                program_threads += 1
                if ours:
                    # A thread that spins says more than those waiting for its lock.
                    waiting = any(word in functions[0] for word in ("futex", "lll_lock", "wait"))
                    inside.append((waiting, module_function(ours), names.get(pid)))
            elif ours:
                # The helper's own loop, below helper_thread.c's start routine.
                orphaned.append(next((f for f in reversed(ours) if f != "run_helper"), ours[-1]))
            detail.append(f"{names.get(pid, pid)}: " + " < ".join(functions[:8]))
        if not program_threads and orphaned:
            return f"hang: only heapprof's own thread is left ({orphaned[0]})", "\n".join(detail)
    if inside:
        _, function, process = min(inside, key=lambda entry: entry[:2])
        starts = {p.name: p.start for p in scenario.processes}
        where = " in a fork child" if starts.get(process) == "fork" else ""
        return f"hang in heapprof: {function}{where}", "\n".join(detail)
    return "hang, no thread inside heapprof", "\n".join(detail)


def symbolize(frames):
    """Function names for "module+0xoffset" frames, with addr2line."""
    by_module = collections.defaultdict(list)
    for frame in frames:
        module, _, offset = frame.rpartition("+")
        by_module[module].append(offset)
    names = {}
    for module, offsets in by_module.items():
        try:
            result = subprocess.run(["addr2line", "-f", "-C", "-e", module, *offsets], capture_output=True,
                                    text=True, timeout=60)
            lines = result.stdout.splitlines()
        except (OSError, subprocess.TimeoutExpired):
            lines = []
        for index, offset in enumerate(offsets):
            function = lines[2 * index] if 2 * index < len(lines) else "??"
            names[f"{module}+{offset}"] = (function, "libheapprof" in module)
    return [names[frame] for frame in frames]


def crash_where(crash, scenario):
    """(kind, detail) for one TORTURE-CRASH report: thread, signal, frames."""
    thread, number, frames = crash[0], int(crash[1]), crash[2:]
    stack = next((t.stack_kib for t in scenario.threads if t.name == thread), 0)
    named = symbolize(frames)
    ours = [function for function, in_heapprof in named if in_heapprof]
    where = f"in heapprof: {ours[0]}" if ours else f"outside heapprof: {named[0][0] if named else '??'}"
    return (f"{signal_name(number)} {where}, on a {f'{stack} KiB' if stack else 'default'} stack",
            f"{thread}: " + " < ".join(f"{function}{'*' if mine else ''}" for function, mine in named[:14]))


def limit_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_program(program, env, cwd, timeout):
    started = time.monotonic()
    process = subprocess.Popen([program], env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True, preexec_fn=limit_core, text=True,
                               errors="replace")
    hang = None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        hang = backtraces(process_group(process.pid))
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
    # An orphan that let go of its output would outlive the run.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return Run(process.returncode, stdout, stderr, time.monotonic() - started, hang)


def runtime_object(work, flags):
    """runtime.c compiled once per set of flags and version of the file."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime.c")
    key = hashlib.sha1(repr((flags, os.stat(source).st_mtime_ns)).encode()).hexdigest()[:12]
    target = os.path.join(work, f"runtime-{key}.o")
    if not os.path.exists(target):
        os.makedirs(work, exist_ok=True)
        temporary = f"{target}.{os.getpid()}.{threading.get_ident()}"
        result = subprocess.run(["gcc", *flags, "-c", source, "-o", temporary], capture_output=True, text=True)
        if result.returncode != 0:
            raise Failure(f"generator: runtime.c does not compile\n{result.stderr[-3000:]}")
        os.rename(temporary, target)
    return target


def clean_environment():
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HEAPPROF_", "TORTURE_", "LD_PRELOAD", "MALLOC_"))}
    env["TZ"] = "UTC"
    return env


class Seed:
    def __init__(self, seed, settings):
        self.seed, self.settings = seed, settings
        self.scenario = generate.generate(seed)
        self.directory = os.path.join(settings.work, f"seed-{seed}")
        self.failures = []  # (kind, detail)
        self.commands = {}

    def fail(self, kind, detail=""):
        self.failures.append((kind, detail))

    def build(self):
        shutil.rmtree(self.directory, ignore_errors=True)
        os.makedirs(self.directory)
        runtime = runtime_object(self.settings.work, self.scenario.compile_flags())
        for command in self.scenario.write(self.directory, runtime):
            result = subprocess.run(command, cwd=self.directory, capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                raise Failure(f"generator: build failed: {' '.join(command)}\n{result.stderr[-3000:]}")

    def environment(self, mode):
        base = os.path.join(self.directory, mode)
        for sub in ("run/a", "dir_a/a", "dir_b/a", "out", "dumps"):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        scenario = self.scenario
        suffix = ".pb.gz" if scenario.compressed else ".pb"
        template = "heap.%e.%p" + suffix
        env = dict(scenario.environment(), TORTURE_DIR_A=os.path.join(base, "dir_a"),
                   TORTURE_DIR_B=os.path.join(base, "dir_b"), TORTURE_DUMPS=os.path.join(base, "dumps"),
                   HEAPPROF_OUT=template if scenario.relative_out else os.path.join(base, "out", template))
        allocator = generate.ALLOCATORS[scenario.allocator]
        if allocator == "bump":
            allocator = self.settings.bump
        preload = ([self.settings.library] if mode == "heapprof" else []) + ([allocator] if allocator else [])
        if preload:
            env["LD_PRELOAD"] = " ".join(preload)
        return env, os.path.join(base, "run")

    def run(self, mode, timeout):
        env, cwd = self.environment(mode)
        program = os.path.join(self.directory, "torture")
        self.commands[mode] = (cwd, env, program)
        return run_program(program, dict(clean_environment(), **env), cwd, timeout)

    def check(self):
        self.build()
        plain = self.run("plain", max(self.settings.timeout, 60))
        self.check_plain(plain)
        profiled = self.run("heapprof", self.settings.timeout)
        self.compare(plain, profiled)
        if not profiled.hang:
            self.check_profiles(profiled)

    def check_plain(self, plain):
        """Without heapprof the program must do what its plan says, or the generator is wrong."""
        ender, how, status = self.scenario.processes[0].ending
        expected = EXPECTED_STATUS[how] if EXPECTED_STATUS[how] is not None else status
        if plain.hang:
            raise Failure(f"generator: hangs without heapprof\n{plain.stdout[-2000:]}")
        if plain.crashes:
            raise Failure("generator: crashes without heapprof\n" + " ".join(plain.crashes[0]))
        if plain.status != expected:
            raise Failure(f"generator: without heapprof, {describe_status(plain.status)} (planned "
                          f"{describe_status(expected)})\n" + "\n".join(plain.stderr[-20:]))

    def compare(self, plain, profiled):
        """A hang or crash is reported where it happened; what follows from it (missing
        lines, a parent's status line) is not reported again."""
        for crash in profiled.crashes:
            self.fail(*crash_where(crash, self.scenario))
        if profiled.hang:
            self.fail(*hang_where(profiled.hang, profiled, self.scenario))
        elif profiled.status != plain.status and not profiled.crashes:
            self.fail(f"top process {describe_status(profiled.status)} (without heapprof: "
                      f"{describe_status(plain.status)})", f"{plain.status} -> {profiled.status}")
        expected, got = plain.output(), profiled.output()
        if expected != got and not profiled.hang and not profiled.crashes:
            missing = [line for line in expected if line not in got]
            extra = [line for line in got if line not in expected]
            killed = sorted({line.rsplit(" ", 1)[1] for line in extra if "killed by signal" in line})
            if killed:
                self.fail(f"child killed by {signal_name(int(killed[0]))}", "; ".join(extra[:6]))
            else:
                self.fail("output differs", f"missing {missing[:6]}, extra {extra[:6]}")
        for line in profiled.stderr:
            if line.startswith("heapprof:"):
                self.fail("heapprof: " + re.sub(r"\d+|/\S*", "N", line[len("heapprof: "):])[:90], line)
            elif line.startswith("TORTURE-CHECK"):
                self.fail("API: " + re.sub(r"\d+|p\d+/t\d+", "N", line.split(" ", 2)[2]), line)
        others = [line for line in profiled.stderr if not line.startswith(("heapprof:", "TORTURE-CHECK"))]
        # A shell reports a child's crash on stderr: part of the crash already reported.
        if others != plain.stderr and not profiled.crashes:
            self.fail("stderr differs", "\n".join(others[:10]))

    def start_directory(self, process, profiled):
        """Where a relative template puts a process's profile: the directory its image
        started in, which a fork child shares with its parent (docs/design.md)."""
        plan = next(p for p in self.scenario.processes if p.name == process)
        while plan.start == "fork" and plan.parent.name in profiled.starts:
            plan = plan.parent
        return profiled.starts[plan.name][1]

    def profile_path(self, process, profiled):
        pid = profiled.starts[process][0]
        suffix = ".pb.gz" if self.scenario.compressed else ".pb"
        name = f"heap.torture.{pid}{suffix}"
        if self.scenario.relative_out:
            return os.path.join(self.start_directory(process, profiled), name)
        return os.path.join(self.directory, "heapprof", "out", name)

    def profiles_of(self, pid):
        """Every profile file a process wrote under its pid, wherever it went."""
        found = []
        for directory, _, files in os.walk(os.path.join(self.directory, "heapprof")):
            found += [os.path.join(directory, f) for f in files if fnmatch.fnmatch(f, f"*.{pid}.pb*")
                      and ".peak." not in f and ".tmp." not in f and not f.endswith(".named.pb.gz")]
        return found

    def check_profiles(self, profiled):
        finals = {}
        # A process that crashed on its way out has had its crash reported.
        crashed = {crash[0].split("/")[0] for crash in profiled.crashes}
        for process, (pid, how) in sorted(profiled.ends.items()):
            if how not in NORMAL_ENDINGS or process not in profiled.starts or process in crashed:
                continue
            path = self.profile_path(process, profiled)
            written = self.profiles_of(pid)
            if not written:
                self.fail("no profile from a process that exited normally", f"{process} ({how}): {path}")
                continue
            # Dumps during the run use the same template: the final profile is the last.
            final = max(written, key=lambda name: os.stat(name).st_mtime_ns)
            if os.path.dirname(final) != os.path.dirname(path):
                self.fail("profile in the directory of exit, not of start-up", f"{process}: {final}")
            if os.path.basename(final) != os.path.basename(path):
                self.fail("profile named after the rewritten argv[0]", f"{process}: {final}")
            finals[process] = final
        every = [os.path.join(d, f) for d, _, files in os.walk(os.path.join(self.directory, "heapprof"))
                 for f in files if ".pb" in f and ".tmp." not in f and not f.endswith(".named.pb.gz")]
        for path in sorted(every):
            # go tool pprof names what HEAPPROF_SYMBOLIZE=0 left unnamed; heapprof top does not.
            self.check_readable(path, compare=path in finals.values() and self.scenario.symbolize)
        if self.scenario.exact:
            for process, path in finals.items():
                self.check_counts(process, path, profiled.counts.get(process, {}))

    def tool(self, argv, what):
        env = dict(clean_environment())
        try:
            result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            self.fail(f"{what} timed out", " ".join(argv))
            return None
        if result.returncode != 0:
            self.fail(f"{what} cannot read a profile", f"{' '.join(argv)}: {result.stderr.strip()[:300]}")
            return None
        return result.stdout

    def check_readable(self, path, compare):
        pprof = self.tool(["go", "tool", "pprof", "-top", path], "go tool pprof")
        ours = self.tool([self.settings.cli, "top", path], "heapprof top")
        if compare and pprof is not None and ours is not None and pprof != ours:
            self.fail("heapprof top differs from go tool pprof -top", path)

    def check_counts(self, process, path, expected):
        if not self.scenario.symbolize:
            named = path + ".named.pb.gz"
            if self.tool([self.settings.cli, "symbolize", path, "-o", named], "heapprof symbolize") is None:
                return
            path = named
        sites = {site.name: site for site in self.scenario.sites}
        if self.scenario.unwind == "fp":
            # libstdc++'s operator new keeps no frame pointer: the frame-pointer walk
            # loses its caller (docs/design.md, "Stacks and sites").
            expected = {name: values for name, values in expected.items() if sites[name].language != "cxx"}
        mismatches = collections.defaultdict(list)
        for index, sample_type in enumerate(SAMPLE_TYPES):
            argv = [self.settings.cli, "top", "-sample_index=" + sample_type, "-nodecount=1000000",
                    "-nodefraction=0"] + (["-unit=B"] if "space" in sample_type else []) + [path]
            text = self.tool(argv, "heapprof top")
            if text is None:
                return
            cum = {}
            for line in text.splitlines():
                match = ROW.match(line)
                if match:
                    cum[match.group(3)] = int(match.group(2))
            if sample_type == "alloc_objects":
                ours = sorted(name for name in cum if name == "[libheapprof.so]" or is_module_function(name))
                if ours:
                    self.fail("heapprof's own allocations in the profile", f"{process}: {', '.join(ours)} ({path})")
            for site, values in sorted(expected.items()):
                if cum.get(site, 0) != values[index]:
                    mismatches[(sites[site].language, sites[site].kind)].append(
                        f"{site} {sample_type}: profile {cum.get(site, 0)}, program {values[index]}")
        for (language, kind), lines in sorted(mismatches.items()):
            self.fail(f"count differs at rate 1: {language} site ({kind})", f"{process}: {'; '.join(lines)}")

    def reproduce(self):
        lines = [f"  program: {os.path.join(self.directory, 'torture')}",
                 f"  again:   tests/torture/run.py --seed {self.seed} --build {self.settings.build}"]
        if "heapprof" in self.commands:
            cwd, env, program = self.commands["heapprof"]
            settings = " ".join(f"{key}='{value}'" for key, value in sorted(env.items()))
            lines.append(f"  by hand: cd {cwd} && env {settings} {program}")
        return "\n".join(lines)


def run_seed(seed, settings):
    started = time.monotonic()
    checker = Seed(seed, settings)
    try:
        checker.check()
    except Failure as failure:
        kind, _, detail = str(failure).partition("\n")
        checker.fail(kind, detail)
    except subprocess.TimeoutExpired as error:
        checker.fail("generator: build timed out", str(error))
    failed = bool(checker.failures)
    if not failed and not settings.keep:
        shutil.rmtree(checker.directory, ignore_errors=True)
    return {"seed": seed, "ok": not failed, "failures": checker.failures, "seconds": time.monotonic() - started,
            "description": checker.scenario.describe(), "features": checker.scenario.features(),
            "reproduce": checker.reproduce() if failed else ""}


def read_list(path):
    """Seeds, one a line, with an optional kind after them; '#' starts a comment."""
    entries = []
    with open(path) as file:
        for line in file:
            line = line.split("#", 1)[0].strip()
            if line:
                seed, _, kind = line.partition(" ")
                entries.append((int(seed), kind.strip()))
    return entries


def summarize(results):
    kinds = collections.defaultdict(list)
    for result in results:
        for kind in dict.fromkeys(kind for kind, _ in result["failures"]):
            kinds[kind].append(result)
    failed = sum(not r["ok"] for r in results)
    print(f"\n{len(results)} seeds, {failed} failed, {len(kinds)} kinds of failure")
    for kind, seeds in sorted(kinds.items(), key=lambda item: -len(item[1])):
        common = set.intersection(*(set(r["features"]) for r in seeds))
        shown = [f for f in sorted(common) if not f.startswith("op=")]
        print(f"\n{len(seeds):5d}  {kind}\n       seeds: {' '.join(str(r['seed']) for r in seeds[:12])}"
              f"{' ...' if len(seeds) > 12 else ''}\n       all of them have: {', '.join(shown) or '-'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, action="append", default=[])
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--list", help="a file of seeds (seeds.txt, open.txt)")
    parser.add_argument("--expect-fail", action="store_true",
                        help="with --list: succeed only if every seed still fails with the kind listed beside it "
                             "(an empty list succeeds)")
    parser.add_argument("--build", default=os.environ.get("HEAPPROF_BUILD_ROOT", os.path.join(ROOT, "build")))
    parser.add_argument("--work", help="scratch directory (default BUILD/torture)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60, help="seconds a profiled run may take")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory of passing seeds")
    parser.add_argument("--json", help="append one JSON line per seed to this file")
    parser.add_argument("--summary", action="store_true", help="end with the failures grouped by kind")
    parser.add_argument("--quiet", action="store_true", help="print only the seeds that fail")
    parser.add_argument("--describe", action="store_true", help="print what each seed generates, run nothing")
    args = parser.parse_args()

    listed = read_list(args.list) if args.list else []
    seeds = args.seed + [seed for seed, _ in listed] + list(range(args.first, args.first + args.count))
    if not seeds and not args.list:
        parser.error("no seeds: give --seed, --list or --count")
    if args.describe:
        for seed in seeds:
            print(generate.generate(seed).describe())
        return 0
    settings = Settings(args)
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for result in pool.map(lambda seed: run_seed(seed, settings), seeds):
            results.append(result)
            if args.json:
                with open(args.json, "a") as log:
                    log.write(json.dumps(result) + "\n")
            if args.quiet and result["ok"]:
                continue
            status = "ok" if result["ok"] else "FAILED"
            print(f"seed {result['seed']}: {status} ({result['seconds']:.1f} s)", flush=True)
            if not result["ok"]:
                print(f"  {result['description']}")
                for kind, detail in result["failures"]:
                    print(f"  - {kind}" + (f"\n      {detail[:600]}" if detail else ""))
                print(result["reproduce"], flush=True)
    if args.summary:
        summarize(results)
    if args.expect_fail:
        expected = dict(listed)
        changed = [r for r in results if not any(expected[r["seed"]] in kind for kind, _ in r["failures"])]
        for result in changed:
            print(f"seed {result['seed']} no longer fails with '{expected[result['seed']]}': "
                  f"if its defect is fixed, move it to seeds.txt and close its kind in README.md")
        return 1 if changed else 0
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
