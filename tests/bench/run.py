#!/usr/bin/env python3
"""heapprof's overhead, measured side by side (stdlib only).

  run.py wall       every workload under every configuration, interleaved over
                    rounds; wall time, peak RSS and CPU time as ratios to the
                    baseline run of the same round; median and min-max.
  run.py callgrind  instructions per malloc+free pair (malloc_pairs under
                    valgrind --tool=callgrind at two pair counts, differenced).
  run.py processes  instructions of a shell pipeline's short processes (under
                    callgrind, following forks and execs), with heapprof's
                    start-up and exit apart: its fixed cost per process.
  run.py unwind     recording cost per allocation at rate 1 by stack depth
                    (deep_stacks at depths 10, 30 and 100), libunwind against the
                    frame-pointer walk.
  run.py scrape     the endpoint under a scraper: mallocbench with HEAPPROF_HTTP,
                    fetched every second against not fetched; wall time ratios and
                    the longest time an allocating thread made no progress, or
                    waited, while a request was being answered.

Both print a markdown table and can write it to a file (--markdown). The
programs come from the meson build directory (--build-dir, default build/ at the
top of the source tree), built by tests/bench/meson.build.

With no -w/-c, `wall` is the quick comparison (malloc1t and malloc2t under
baseline, shim and heapprof). Issue #5's whole matrix, every workload under every
configuration, is

  run.py wall -n 5 -w all -c all

which needs heaptrack, jemalloc, gperftools' tcmalloc, gcc's cc1, python3, perl
and sqlite3 besides the build (they are not installed by CI):

  source scripts/deps.sh && heapprof_install_deps "${heapprof_bench_packages[@]}"

The machine this was written for has two cores shared with other work: only
ratios taken within one round mean anything, and every figure is a median with
its range. To add a workload or a configuration (another profiler, another
program), add an entry to WORKLOADS or CONFIGS below.
"""
import argparse
import contextlib
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GCC_VERSION = "12"  # Debian 12's gcc, whose cc1 is the cc1 workload


@dataclass
class Workload:
    name: str
    argv: list
    about: str
    env: dict = field(default_factory=dict)
    # Run once per invocation before anything is measured (e.g. to generate an input
    # into {inputs}); not timed.
    prepare: list = field(default_factory=list)
    # For a program that prints nothing: the file it writes, whose SHA-256 stands in
    # for the checksum line. It is not counted as a profile.
    output_file: str = ""


@dataclass
class Config:
    name: str
    about: str
    env: dict = field(default_factory=dict)
    # Prepended to the workload's argv, for tools that run the program themselves.
    prefix: list = field(default_factory=list)
    # A profile must appear in {out}: catches a preload that silently did nothing.
    writes_profile: bool = False


# A shell pipeline of short processes, as a build or a test suite starts them: the
# `printf` is the shell's own (a forked subshell), sort and uniq are exec'd.
PIPELINE = "printf 'pear\\napple\\npear\\nfig\\n' | sort | uniq -c"

# Placeholders, expanded per run: {bench} = <build>/tests/bench, {lib} = <build>/src,
# {source} = this directory, {out} = a fresh scratch directory for the run, removed after it,
# {inputs} = a scratch directory for the whole invocation (for generated inputs), {python} =
# the interpreter running this script.
WORKLOADS = {w.name: w for w in [
    Workload("malloc1t", ["{bench}/mallocbench", "1", "20000000"],
             "mallocbench, 1 thread, 20M allocations over a 20k-block live set"),
    Workload("malloc2t", ["{bench}/mallocbench", "2", "20000000"],
             "mallocbench, 2 threads x 10M allocations"),
    Workload("pairs", ["{bench}/malloc_pairs", "100000000"],
             "100M tight malloc+free pairs, 16-256 B (the fast path alone; worst case)"),
    Workload("short", ["{bench}/malloc_pairs", "100000"],
             "100k pairs, a process of a few ms: the fixed cost of start-up and the exit dump"),
    Workload("shell", ["/bin/sh", "-c", f"i=0; while [ $i -lt 100 ]; do {PIPELINE}; i=$((i + 1)); done"],
             "a /bin/sh loop starting ~200 short processes (printf | sort | uniq -c, 100 times): "
             "heapprof's fixed cost per process, at start-up and at exit"),
    Workload("python", ["/usr/bin/python3", "{source}/workloads/churn.py"],
             "python3 dict/list/str churn with PYTHONMALLOC=malloc", {"PYTHONMALLOC": "malloc"}),
    Workload("perl", ["/usr/bin/perl", "{source}/workloads/churn.pl"],
             "perl hash/array/string/regex churn"),
    Workload("sqlite", ["/usr/bin/sqlite3", ":memory:", ".read {source}/workloads/churn.sql"],
             "sqlite3 in-memory database: inserts, indexes, updates, joins"),
    Workload("cxx", ["{bench}/cxxchurn"],
             "C++ container churn: std::map, unordered_map, string, list, deque (cxxchurn.cpp)"),
    # cc1 itself, not the gcc driver, so the process measured is the one that allocates.
    Workload("cc1", [f"/usr/lib/gcc/x86_64-linux-gnu/{GCC_VERSION}/cc1", "-quiet", "-O2",
                     "{inputs}/big.c", "-o", "{out}/big.s"],
             f"gcc {GCC_VERSION}'s cc1 -O2 on a generated 8,000-line C file "
             "(workloads/gen_big_c.py); checked by the SHA-256 of its assembly",
             prepare=["{python}", "{source}/workloads/gen_big_c.py", "{inputs}/big.c"],
             output_file="{out}/big.s"),
]}
DEFAULT_WORKLOADS = ["malloc1t", "malloc2t"]

SYSTEM_LIBRARIES = "/usr/lib/x86_64-linux-gnu"
TCMALLOC = f"{SYSTEM_LIBRARIES}/libtcmalloc.so.4"
HEAPPROF_ENV = {"LD_PRELOAD": "{lib}/libheapprof.so", "HEAPPROF_OUT": "{out}/heap.%p.pb.gz"}
CONFIGS = {c.name: c for c in [
    Config("baseline", "glibc malloc, no preload"),
    Config("shim", "tests/bench/forward_shim.c: dlsym forwarding + TLS countdown",
           {"LD_PRELOAD": "{bench}/libforward_shim.so"}),
    Config("shim-unwind", "the shim, also capturing the stack with libunwind at each sample point "
           "(the least a sampling profiler does; nothing recorded or written)",
           {"LD_PRELOAD": "{bench}/libforward_shim_unwind.so"}),
    Config("heapprof", "libheapprof.so at the default rate (512 KiB)", HEAPPROF_ENV,
           writes_profile=True),
    Config("heapprof-nosym", "libheapprof.so at the default rate, naming nothing at exit "
           "(HEAPPROF_SYMBOLIZE=0; heapprof symbolize names the profile later)",
           {**HEAPPROF_ENV, "HEAPPROF_SYMBOLIZE": "0"}, writes_profile=True),
    Config("heapprof-64k", "libheapprof.so sampling every 64 KiB (HEAPPROF_RATE=65536)",
           {**HEAPPROF_ENV, "HEAPPROF_RATE": "65536"}, writes_profile=True),
    Config("heapprof-rate1", "libheapprof.so recording every allocation (HEAPPROF_RATE=1)",
           {**HEAPPROF_ENV, "HEAPPROF_RATE": "1"}, writes_profile=True),
    # None of the workloads keeps frame pointers, so most fp walks fall back to libunwind:
    # this measures what the option costs on such programs, not its best case.
    Config("heapprof-rate1-fp", "libheapprof.so, every allocation, frame-pointer unwinding "
           "(HEAPPROF_RATE=1 HEAPPROF_UNWIND=fp)",
           {**HEAPPROF_ENV, "HEAPPROF_RATE": "1", "HEAPPROF_UNWIND": "fp"}, writes_profile=True),
    # With nothing sampled heapprof writes no profile at exit.
    Config("heapprof-rate0", "libheapprof.so with HEAPPROF_RATE=0 (fast path only, no samples)",
           {**HEAPPROF_ENV, "HEAPPROF_RATE": "0"}),
    # Other profilers, for comparison (Debian packages libjemalloc2, libgoogle-perftools4
    # and heaptrack; scripts/deps.sh's heapprof_bench_packages).
    Config("jemalloc", "jemalloc 5 preloaded, no profiling",
           {"LD_PRELOAD": f"{SYSTEM_LIBRARIES}/libjemalloc.so.2"}),
    Config("je-prof", "jemalloc sampling every 512 KiB (lg_prof_sample:19), profile at exit",
           {"LD_PRELOAD": f"{SYSTEM_LIBRARIES}/libjemalloc.so.2",
            "MALLOC_CONF": "prof:true,lg_prof_sample:19,prof_final:true,prof_prefix:{out}/jeprof"},
           writes_profile=True),
    Config("heaptrack", "heaptrack: every allocation traced",
           prefix=["heaptrack", "-o", "{out}/heaptrack"], writes_profile=True),
    Config("tcmalloc", "gperftools' tcmalloc preloaded, no profiling", {"LD_PRELOAD": TCMALLOC}),
    # tcmalloc keeps the sampled stacks in memory for MallocExtension::GetHeapSample;
    # nothing writes them to a file unless the program asks, so there is no profile to
    # check for (and none to weigh) and a silently inactive sampler would go unnoticed.
    Config("tc-sample", "tcmalloc sampling every 512 KiB (TCMALLOC_SAMPLE_PARAMETER=524288), "
           "stacks kept in memory: it writes no file",
           {"LD_PRELOAD": TCMALLOC, "TCMALLOC_SAMPLE_PARAMETER": "524288"}),
]}
DEFAULT_CONFIGS = ["baseline", "shim", "heapprof"]
CALLGRIND_CONFIGS = ["baseline", "shim", "heapprof", "heapprof-rate0"]
PROCESS_CONFIGS = ["baseline", "shim", "heapprof-rate0", "heapprof-nosym", "heapprof"]


def expand(text, places):
    return text.format(**places)


def clean_environment():
    """The caller's environment without anything that would change what is measured."""
    return {k: v for k, v in os.environ.items()
            if k not in ("LD_PRELOAD", "HEAPPROFILE", "HEAPCHECK")
            and not k.startswith(("HEAPPROF_", "SHIM_", "MALLOC_", "TCMALLOC_"))}


def command_for(workload, config, places):
    """The command line and the variables to set for the program only."""
    argv = [expand(a, places) for a in config.prefix + workload.argv]
    assignments = {k: expand(v, places) for k, v in {**workload.env, **config.env}.items()}
    return argv, assignments


def measure(workload, config, places, timeout):
    """One run through measure_run (see measure_run.c for why not os.wait4 here):
    wall seconds, peak RSS (KiB), CPU seconds, exit status, the end of stdout (with
    the checksum) and what the run wrote to its scratch directory."""
    scratch = tempfile.mkdtemp(prefix="heapprof-bench-")
    try:
        argv, assignments = command_for(workload, config, {**places, "out": scratch})
        result_file = os.path.join(scratch, "measure_run.result")
        command = ([expand("{bench}/measure_run", places), result_file]
                   + [f"{k}={v}" for k, v in assignments.items()] + argv)
        with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
            # Its own session, so a run that hangs is killed with all it started.
            process = subprocess.Popen(command, env=clean_environment(), stdin=subprocess.DEVNULL,
                                       stdout=stdout, stderr=stderr, start_new_session=True)
            try:
                process.wait(timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                timed_out = True
            stdout.seek(0)
            stderr.seek(0)
            output_lines = stdout.read().decode(errors="replace").splitlines()
            error_text = stderr.read().decode(errors="replace")
        if process.returncode == 0:
            with open(result_file) as f:
                wall, rss_kib, user, system, status = f.read().split()
            measured = {"wall": float(wall), "rss_kib": int(rss_kib),
                        "cpu": float(user) + float(system), "status": int(status)}
        else:
            measured = {"wall": float(timeout), "rss_kib": 0, "cpu": 0.0,
                        "status": "timeout" if timed_out else "measure_run failed"}
        output_file = expand(workload.output_file, {**places, "out": scratch})
        # The program's last line; a tool that runs it (heaptrack) may print more
        # after it, so a run matches when this line appears anywhere in its output.
        checksum = output_lines[-1] if output_lines else ""
        if output_file:
            checksum = file_digest(output_file)
        files = [os.path.join(scratch, f) for f in os.listdir(scratch)
                 if f != "measure_run.result" and os.path.join(scratch, f) != output_file]
        return {
            **measured,
            "checksum": checksum,
            "output_lines": output_lines[-20:],
            "stderr": error_text[-2000:],
            "files": len(files),
            "file_bytes": sum(os.path.getsize(f) for f in files),
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def file_digest(path):
    """"sha256:<hex>" of a file, or "" when there is none."""
    try:
        with open(path, "rb") as f:
            return "sha256:" + hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return ""


def run_failed(result, workload, config, expected_checksum):
    """Why a run does not count, or None."""
    if isinstance(result["status"], str):
        return result["status"]
    if result["status"] != 0:
        return f"exit status {result['status']}: {result['stderr'].strip()[-300:]}"
    if workload.output_file:
        if not expected_checksum:
            return f"the baseline wrote no {os.path.basename(workload.output_file)}"
        if result["checksum"] != expected_checksum:
            return (f"{os.path.basename(workload.output_file)} differs from the baseline's "
                    f"({result['checksum'] or 'missing'})")
    elif expected_checksum not in result["output_lines"]:
        return f"baseline's checksum {expected_checksum!r} not in its output"
    if config.writes_profile and result["files"] == 0:
        return "no profile written"
    return None


def ratio_text(values):
    if not values:
        return "-"
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def size_text(values):
    """Median (min-max) of byte counts, in the unit that suits the median."""
    if not values:
        return "-"
    middle = statistics.median(values)
    unit, scale = next((u, s) for u, s in (("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1))
                       if middle >= s or s == 1)

    def digits(value):  # about three significant digits, never an exponent
        value /= scale
        return f"{value:.0f}" if value >= 100 else f"{value:.3g}"
    return f"{digits(middle)} {unit} ({digits(min(values))}-{digits(max(values))})"


def summarize_wall(results, workloads, configs, rounds):
    """results[(workload, config)] = list indexed by round (None = failed run)."""
    metrics = [("Wall time", "wall", "s", 1.0), ("Peak RSS", "rss_kib", "MiB", 1 / 1024),
               ("CPU time (user+sys)", "cpu", "s", 1.0)]
    others = [c for c in configs if c != "baseline"]
    out = []
    for title, key, unit, scale in metrics:
        out.append(f"#### {title}: ratio to baseline, median (min-max) over {rounds} rounds\n")
        out.append("| workload | baseline " + unit + " | " + " | ".join(others) + " |")
        out.append("|---" * (2 + len(others)) + "|")
        for w in workloads:
            base = results[(w, "baseline")]
            base_values = [r[key] * scale for r in base if r]
            cells = [f"{statistics.median(base_values):.3g}" if base_values else "-"]
            for c in others:
                ratios = [r[key] / b[key] for r, b in zip(results[(w, c)], base)
                          if r and b and b[key]]
                cells.append(ratio_text(ratios))
            out.append(f"| {w} | " + " | ".join(cells) + " |")
        out.append("")
    # Everything the run left in its scratch directory except the workload's own output
    # (heapprof's final and peak profiles together, heaptrack's .zst, jemalloc's .heap).
    out.append(f"#### Profile size: bytes the profiler wrote (heapprof: final and peak profile "
               f"together), median (min-max) over {rounds} rounds\n")
    out.append("| workload | " + " | ".join(others) + " |")
    out.append("|---" * (1 + len(others)) + "|")
    for w in workloads:
        cells = [size_text([r["file_bytes"] for r in results[(w, c)] if r])
                 if CONFIGS[c].writes_profile else "-" for c in others]
        out.append(f"| {w} | " + " | ".join(cells) + " |")
    out.append("")
    return "\n".join(out)


def source_version():
    """The commit the sources are at (with -dirty for local changes), when known."""
    try:
        described = subprocess.run(["git", "-C", SOURCE_ROOT, "describe", "--always", "--dirty"],
                                   capture_output=True, text=True, check=True)
        return described.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def processor_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def header(arguments):
    load = os.getloadavg()
    return (f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on "
            f"{os.cpu_count()} x {processor_name()}, sources at {source_version()}, "
            f"load average at the end {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}.\n"
            f"Command: `tests/bench/run.py {' '.join(shlex.quote(a) for a in arguments)}`\n")


def legend(workloads, configs):
    text = ""
    if workloads:
        text += "Workloads: " + "; ".join(f"{w} = {WORKLOADS[w].about}" for w in workloads) + ".\n"
    text += "Configurations: " + "; ".join(f"{c} = {CONFIGS[c].about}" for c in configs)
    return text + ".\n"


def catalogue():
    return ("workloads:\n" + "".join(f"  {w.name:18} {w.about}\n" for w in WORKLOADS.values())
            + "configurations:\n" + "".join(f"  {c.name:18} {c.about}\n" for c in CONFIGS.values()))


def missing_programs(workloads, configs, places):
    """The programs and preloaded libraries the selection needs that are not here."""
    needed = [WORKLOADS[w].argv[0] for w in workloads]
    needed += [CONFIGS[c].prefix[0] for c in configs if CONFIGS[c].prefix]
    needed += [CONFIGS[c].env["LD_PRELOAD"] for c in configs if "LD_PRELOAD" in CONFIGS[c].env]
    missing = []
    for path in dict.fromkeys(expand(p, places) for p in needed):
        if not (os.path.exists(path) if os.sep in path else shutil.which(path)):
            missing.append(path)
    return missing


def command_wall(options, places, arguments):
    workloads, configs = options.workloads, options.configs
    if "baseline" not in configs:
        configs = ["baseline"] + configs
    missing = missing_programs(workloads, configs, places)
    if missing:
        sys.exit(f"run.py: missing: {', '.join(missing)}\n(build first, and see this script's "
                 "docstring for the packages the other profilers and programs come from)")
    for w in workloads:
        if WORKLOADS[w].prepare:
            subprocess.run([expand(a, places) for a in WORKLOADS[w].prepare], check=True)
    results = {(w, c): [] for w in workloads for c in configs}
    failures = []
    # One JSON line per run as it finishes, so an interrupted run keeps what it measured.
    with open(options.raw, "w") if options.raw else contextlib.nullcontext() as raw:
        for round_index in range(-options.warmup, options.rounds):
            label = "warm-up" if round_index < 0 else f"round {round_index + 1}"
            # Rotate the order every round, so no configuration always runs first or
            # straight after a particular other one.
            shift = round_index % len(configs)
            order = configs[shift:] + configs[:shift]
            for w in workloads:
                this_round = {}
                for c in order:
                    this_round[c] = measure(WORKLOADS[w], CONFIGS[c], places, options.timeout)
                    print(f"{label} {w:10} {c:18} {this_round[c]['wall']:7.3f} s "
                          f"{this_round[c]['rss_kib'] / 1024:7.1f} MiB", file=sys.stderr)
                expected_checksum = this_round["baseline"]["checksum"]
                for c in configs:
                    result = this_round[c]
                    reason = run_failed(result, WORKLOADS[w], CONFIGS[c], expected_checksum)
                    if reason:
                        failures.append(f"{w} {c} {label}: {reason}")
                    if round_index < 0:
                        continue
                    results[(w, c)].append(None if reason else result)
                    if raw:
                        raw.write(json.dumps({"round": round_index + 1, "workload": w, "config": c,
                                              **{k: v for k, v in result.items()
                                                 if k not in ("stderr", "output_lines")}})
                                  + "\n")
    report = (header(arguments) + legend(workloads, configs) + "\n"
              + summarize_wall(results, workloads, configs, options.rounds))
    if failures:
        report += "\nFailed runs (left out of the ratios):\n\n" + \
                  "\n".join(f"- {f}" for f in failures) + "\n"
    return report, not failures


CALLGRIND_TOTAL = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def callgrind_instructions(config, pairs, places):
    """Instructions the whole malloc_pairs process executed (Ir) under `config`."""
    scratch = tempfile.mkdtemp(prefix="heapprof-callgrind-")
    try:
        workload = Workload("pairs", ["{bench}/malloc_pairs", str(pairs)], "")
        argv, assignments = command_for(workload, config, {**places, "out": scratch})
        env = {**clean_environment(), **assignments}
        # The preload goes into valgrind's environment, which valgrind hands to the
        # program; `valgrind env LD_PRELOAD=...` would run env under callgrind instead.
        # A fixed seed makes heapprof draw the same sample points every time.
        env["HEAPPROF_SEED"] = "1"
        profile_out = os.path.join(scratch, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + profile_out] + argv
        finished = subprocess.run(command, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True)
        if finished.returncode != 0 or finished.stdout.split() != [str(pairs)]:
            raise RuntimeError(f"{config.name}: {shlex.join(command)} failed:\n{finished.stderr}")
        written = [f for f in os.listdir(scratch) if f != "callgrind.out"]
        if config.writes_profile and not written:
            raise RuntimeError(f"{config.name}: no heap profile under valgrind: "
                               "the preload did not reach the program")
        with open(profile_out) as f:
            return int(CALLGRIND_TOTAL.search(f.read()).group(1))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def command_callgrind(options, places, arguments):
    small, large = options.pairs
    per_pair = {}
    for c in options.configs:
        counts = [callgrind_instructions(CONFIGS[c], n, places) for n in (small, large)]
        per_pair[c] = (counts[1] - counts[0]) / (large - small)
        print(f"{c:16} {counts[0]} / {counts[1]} instructions: {per_pair[c]:.2f} per pair",
              file=sys.stderr)
    lines = [header(arguments) + legend([], options.configs),
             f"Instructions per malloc+free pair (Ir at {large} pairs minus Ir at {small}, "
             f"divided by {large - small}):\n",
             "| configuration | per pair | over baseline | over shim |",
             "|---|---|---|---|"]
    for c, value in per_pair.items():
        over_base = f"{value - per_pair['baseline']:+.2f}" if "baseline" in per_pair else "-"
        over_shim = f"{value - per_pair['shim']:+.2f}" if "shim" in per_pair else "-"
        lines.append(f"| {c} | {value:.2f} | {over_base} | {over_shim} |")
    return "\n".join(lines) + "\n", True


# heapprof's two fixed costs, each the inclusive count of one function: its constructor
# and its exit handler.
PHASES = {"start-up": "heapprof_start", "exit": "dump_at_exit"}
INCLUSIVE = re.compile(r"^\s*([\d,]+) \(.*:(\w+) \[", re.MULTILINE)


def callgrind_process_tree(config, places):
    """Instructions of every process the pipeline starts (valgrind follows the forks
    and, with --trace-children, the execs), in all and in each of PHASES."""
    scratch = tempfile.mkdtemp(prefix="heapprof-callgrind-")
    try:
        argv, assignments = command_for(Workload("pipeline", ["/bin/sh", "-c", PIPELINE], ""), config,
                                        {**places, "out": scratch})
        env = {**clean_environment(), **assignments, "HEAPPROF_SEED": "1"}
        outputs = os.path.join(scratch, "callgrind")
        os.mkdir(outputs)
        command = ["valgrind", "--tool=callgrind", "--trace-children=yes",
                   "--callgrind-out-file=" + os.path.join(outputs, "%p")] + argv
        finished = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if finished.returncode != 0:
            raise RuntimeError(f"{config.name}: {shlex.join(command)} failed:\n{finished.stderr}")
        counts = {"processes": 0, "all": 0, **{phase: 0 for phase in PHASES}}
        for name in os.listdir(outputs):
            path = os.path.join(outputs, name)
            with open(path) as f:
                counts["all"] += int(CALLGRIND_TOTAL.search(f.read()).group(1))
            counts["processes"] += 1
            annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", path],
                                       capture_output=True, text=True, check=True).stdout
            found = {function: int(count.replace(",", "")) for count, function in INCLUSIVE.findall(annotated)}
            for phase, function in PHASES.items():
                counts[phase] += found.get(function, 0)
        return counts
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def command_processes(options, places, arguments):
    counts = {}
    for c in options.configs:
        counts[c] = callgrind_process_tree(CONFIGS[c], places)
        print(f"{c:16} {counts[c]}", file=sys.stderr)
    base = counts.get("baseline", {}).get("all")
    lines = [header(arguments) + legend([], options.configs),
             f"Instructions (Ir) of every process `sh -c \"{PIPELINE}\"` starts, under callgrind "
             "with --trace-children=yes, summed; heapprof's start-up and exit are the inclusive "
             f"counts of {' and '.join(PHASES.values())}:\n",
             "| configuration | processes | instructions | ratio to baseline | "
             + " | ".join(PHASES) + " |",
             "|---|---|---|---|" + "---|" * len(PHASES)]
    for c, count in counts.items():
        ratio = f"{count['all'] / base:.3f}" if base else "-"
        lines.append(f"| {c} | {count['processes']} | {count['all']:,} | {ratio} | "
                     + " | ".join(f"{count[phase]:,}" for phase in PHASES) + " |")
    return "\n".join(lines) + "\n", True


UNWIND_CONFIGS = ["heapprof-rate1", "heapprof-rate1-fp"]


def command_unwind(options, places, arguments):
    """Per-sample cost of recording at rate 1, by stack depth: deep_stacks at each
    depth under each configuration and under the baseline, rounds interleaved; the
    cost is (CPU seconds - baseline CPU seconds) / allocations."""
    configs = ["baseline"] + options.configs
    costs = {(d, c): [] for d in options.depths for c in options.configs}
    for round_index in range(options.rounds):
        for depth in options.depths:
            workload = Workload(f"depth{depth}", ["{bench}/deep_stacks", str(depth),
                                                  str(options.allocations)], "")
            shift = round_index % len(configs)
            this_round = {c: measure(workload, CONFIGS[c], places, 600)
                          for c in configs[shift:] + configs[:shift]}
            expected = this_round["baseline"]["checksum"]
            for c in options.configs:
                reason = run_failed(this_round[c], workload, CONFIGS[c], expected)
                if reason:
                    sys.exit(f"run.py: depth {depth}, {c}: {reason}")
                cost = (this_round[c]["cpu"] - this_round["baseline"]["cpu"]) / options.allocations
                costs[(depth, c)].append(cost * 1e9)
                print(f"round {round_index + 1} depth {depth:4} {c:18} {cost * 1e9:8.0f} ns",
                      file=sys.stderr)
    lines = [header(arguments) + legend([], configs),
             f"Recording cost per allocation at rate 1 (CPU time over the baseline's, divided "
             f"by {options.allocations} allocations), ns, median (min-max) over "
             f"{options.rounds} rounds:\n",
             "| stack depth | " + " | ".join(options.configs) + " |",
             "|---" * (1 + len(options.configs)) + "|"]
    for depth in options.depths:
        cells = [f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})"
                 for v in (costs[(depth, c)] for c in options.configs)]
        lines.append(f"| {depth} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n", True


SCRAPED_PATHS = ["/debug/pprof/heap", "/debug/pprof/allocs", "/debug/pprof/heap?debug=1"]


def scrape_until(socket_path, interval, stop, requests):
    """Fetches SCRAPED_PATHS in turn every `interval` seconds over the unix socket
    until `stop` is set; appends (start, end, status, bytes) per request, in
    CLOCK_MONOTONIC seconds (what mallocbench's gaps are measured in)."""
    while not os.path.exists(socket_path) and not stop.is_set():
        time.sleep(0.01)
    next_time = time.monotonic()
    index = 0
    while not stop.wait(max(0.0, next_time - time.monotonic())):
        next_time += interval
        path = SCRAPED_PATHS[index % len(SCRAPED_PATHS)]
        index += 1
        started = time.monotonic()
        try:
            with socket.socket(socket.AF_UNIX) as client:
                client.settimeout(30)
                client.connect(socket_path)
                client.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
                data = b""
                while chunk := client.recv(1 << 20):
                    data += chunk
            status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
        except OSError:
            data, status = b"", 0
        requests.append((started, time.monotonic(), status, len(data)))


def scrape_run(workload, scraped, with_endpoint, places, interval):
    """One mallocbench run; returns wall seconds, its gaps and the requests made."""
    scratch = tempfile.mkdtemp(prefix="heapprof-scrape-")
    try:
        socket_path = os.path.join(scratch, "heapprof.sock")
        gaps_path = os.path.join(scratch, "gaps")
        env = {**clean_environment(), "LD_PRELOAD": expand("{lib}/libheapprof.so", places),
               "HEAPPROF_OUT": os.path.join(scratch, "heap.%p.pb.gz"), "MALLOCBENCH_GAPS": gaps_path}
        if with_endpoint:
            env["HEAPPROF_HTTP"] = "unix:" + socket_path
        requests, stop = [], threading.Event()
        scraper = threading.Thread(target=scrape_until, args=(socket_path, interval, stop, requests))
        started = time.monotonic()
        process = subprocess.Popen([expand(a, places) for a in workload.argv], env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if scraped:
            scraper.start()
        output, errors = process.communicate(timeout=600)
        wall = time.monotonic() - started
        stop.set()
        if scraped:
            scraper.join()
        if process.returncode != 0:
            raise RuntimeError(f"{workload.name}: exit status {process.returncode}: {errors.decode()[-300:]}")
        gaps = []
        with open(gaps_path) as f:
            for line in f:
                _, start, length, waited = line.split()
                gaps.append((int(start) / 1e9, int(length) / 1e9, waited == "1"))
        return {"wall": wall, "gaps": gaps, "requests": requests, "checksum": output.decode().strip()}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def longest_gap(gaps, requests, during, waited_only=False):
    """The longest gap (ms) that overlaps a request (`during`) or none; 0 if none."""
    def overlaps(gap):
        start, length, _ = gap
        return any(start < end and start + length > begin for begin, end, _, _ in requests)
    lengths = [length for gap in gaps for _, length, waited in [gap]
               if overlaps(gap) == during and (waited or not waited_only)]
    return max(lengths, default=0.0) * 1000


def waits_per_second(runs, during, threshold=0.001):
    """Waits of `threshold` seconds or more per second of time during requests
    (`during`) or outside them, over `runs`."""
    count, seconds = 0, 0.0
    for run in runs:
        busy = sum(end - begin for begin, end, _, _ in run["requests"])
        seconds += busy if during else run["wall"] - busy
        count += sum(1 for start, length, waited in run["gaps"]
                     if waited and length >= threshold and any(start < end and start + length > begin
                                                               for begin, end, _, _ in run["requests"]) == during)
    return count / seconds if seconds else 0.0


SCRAPE_CONFIGS = ["heapprof", "endpoint", "scraped"]


def command_scrape(options, places, arguments):
    """mallocbench under heapprof without the endpoint, with it and idle, and with it
    scraped every `interval` seconds, rounds interleaved and rotated."""
    workloads = {f"malloc{t}t": Workload(f"malloc{t}t", ["{bench}/mallocbench", str(t), str(options.operations)],
                                         f"mallocbench, {t} thread(s), {options.operations} allocations")
                 for t in options.threads}
    results = {(w, c): [] for w in workloads for c in SCRAPE_CONFIGS}
    for round_index in range(options.rounds):
        shift = round_index % len(SCRAPE_CONFIGS)
        for name, workload in workloads.items():
            for c in SCRAPE_CONFIGS[shift:] + SCRAPE_CONFIGS[:shift]:
                run = scrape_run(workload, c == "scraped", c != "heapprof", places, options.interval)
                results[(name, c)].append(run)
                print(f"round {round_index + 1} {name} {c:9} {run['wall']:7.3f} s, {len(run['requests'])} requests, "
                      f"longest gap {max((g[1] for g in run['gaps']), default=0) * 1000:.1f} ms", file=sys.stderr)
    for name in workloads:
        checksums = {r["checksum"] for c in SCRAPE_CONFIGS for r in results[(name, c)]}
        if len(checksums) != 1:
            return f"{name}: checksums differ between runs: {checksums}", False
    lines = [header(arguments),
             f"mallocbench under heapprof at the default rate: `heapprof` without the endpoint, `endpoint` "
             f"with `HEAPPROF_HTTP=unix:...` and no request, `scraped` with {', '.join(SCRAPED_PATHS)} "
             f"fetched in turn every {options.interval:g} s; {options.rounds} rounds.\n",
             "| workload | endpoint / heapprof wall | scraped / endpoint wall | requests per run | request time, "
             "median (max) ms | longest gap during a request, median (max) ms | longest gap otherwise | "
             "longest wait during a request | longest wait otherwise | waits of 1 ms or more per second, "
             "during requests / otherwise |",
             "|---" * 10 + "|"]
    for name in workloads:
        base, idle, scraped = (results[(name, c)] for c in SCRAPE_CONFIGS)
        idle_ratio = [i["wall"] / b["wall"] for i, b in zip(idle, base)]
        scraped_ratio = [s["wall"] / i["wall"] for s, i in zip(scraped, idle)]
        times = [(end - begin) * 1000 for run in scraped for begin, end, status, _ in run["requests"] if status == 200]
        during = [longest_gap(r["gaps"], r["requests"], True) for r in scraped]
        outside = [longest_gap(r["gaps"], r["requests"], False) for r in scraped + idle]
        waited_during = [longest_gap(r["gaps"], r["requests"], True, True) for r in scraped]
        waited_outside = [longest_gap(r["gaps"], r["requests"], False, True) for r in scraped + idle]
        counts = [len(r["requests"]) for r in scraped]
        failed = sum(1 for r in scraped for _, _, status, _ in r["requests"] if status != 200)
        cells = [ratio_text(idle_ratio), ratio_text(scraped_ratio),
                 f"{statistics.median(counts):g}" + (f" ({failed} failed)" if failed else ""),
                 f"{statistics.median(times):.1f} ({max(times):.1f})" if times else "-",
                 f"{statistics.median(during):.2f} ({max(during):.2f})",
                 f"{max(outside):.2f}", f"{max(waited_during):.2f}", f"{max(waited_outside):.2f}",
                 f"{waits_per_second(scraped, True):.2f} / {waits_per_second(scraped + idle, False):.2f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("\nA gap is an interval of 100 us or more in which an allocating thread did not get through 16 "
                 "operations; a wait is a gap in which it gave up the processor itself (a voluntary context "
                 "switch: it waited for something, a lock say) rather than being preempted.")
    return "\n".join(lines) + "\n", True


def name_list(known, allow_all=False):
    def parse(text):
        if allow_all and text == "all":
            return list(known)
        names = [n for n in text.split(",") if n]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown: {', '.join(unknown)} (known: {', '.join(known)})")
        return names
    return parse


def pair_counts(text):
    small, large = (int(n) for n in text.split(","))
    if not 0 <= small < large:
        raise argparse.ArgumentTypeError("want SMALL,LARGE with SMALL < LARGE")
    return small, large


def main():
    arguments = sys.argv[1:]
    parser = argparse.ArgumentParser(description=__doc__, epilog=catalogue(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--build-dir", default=os.path.join(SOURCE_ROOT, "build"),
                        help="meson build directory (default: %(default)s)")
    common.add_argument("--markdown", metavar="FILE", help="also write the table here")
    modes = parser.add_subparsers(dest="mode", required=True)

    wall = modes.add_parser("wall", parents=[common], help="wall time / peak RSS / CPU ratios")
    wall.add_argument("-n", "--rounds", type=int, default=7)
    wall.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    wall.add_argument("-w", "--workloads", type=name_list(WORKLOADS, allow_all=True),
                      default=DEFAULT_WORKLOADS,
                      help=f"comma-separated, from {', '.join(WORKLOADS)}, or all "
                           f"(default {','.join(DEFAULT_WORKLOADS)})")
    wall.add_argument("-c", "--configs", type=name_list(CONFIGS, allow_all=True),
                      default=DEFAULT_CONFIGS,
                      help=f"comma-separated, from {', '.join(CONFIGS)}, or all "
                           f"(default {','.join(DEFAULT_CONFIGS)}; baseline is always added)")
    wall.add_argument("--timeout", type=float, default=600, help="seconds per run")
    wall.add_argument("--raw", metavar="FILE", help="one JSON line per run")

    callgrind = modes.add_parser("callgrind", parents=[common],
                                 help="instructions per malloc+free pair")
    callgrind.add_argument("-c", "--configs", type=name_list(CONFIGS), default=CALLGRIND_CONFIGS,
                           help=f"default {','.join(CALLGRIND_CONFIGS)}")
    callgrind.add_argument("--pairs", type=pair_counts, default=(1000000, 3000000),
                           metavar="SMALL,LARGE", help="pair counts (default 1000000,3000000)")
    processes = modes.add_parser("processes", parents=[common],
                                 help="instructions of a shell pipeline's processes, start-up and exit")
    processes.add_argument("-c", "--configs", type=name_list(CONFIGS), default=PROCESS_CONFIGS,
                           help=f"default {','.join(PROCESS_CONFIGS)}")
    unwind = modes.add_parser("unwind", parents=[common],
                              help="recording cost per sample by stack depth, at rate 1")
    unwind.add_argument("-c", "--configs", type=name_list(CONFIGS), default=UNWIND_CONFIGS,
                        help=f"default {','.join(UNWIND_CONFIGS)}")
    unwind.add_argument("-n", "--rounds", type=int, default=5)
    unwind.add_argument("--depths", type=lambda t: [int(d) for d in t.split(",")],
                        default=[10, 30, 100], help="comma-separated (default 10,30,100)")
    unwind.add_argument("--allocations", type=int, default=1000000,
                        help="allocations per run (default 1000000)")
    scrape = modes.add_parser("scrape", parents=[common],
                              help="mallocbench with the endpoint, scraped every second and not")
    scrape.add_argument("-n", "--rounds", type=int, default=5)
    scrape.add_argument("--threads", type=lambda t: [int(n) for n in t.split(",")], default=[1, 2],
                        help="mallocbench thread counts, comma-separated (default 1,2)")
    scrape.add_argument("--operations", type=int, default=100000000,
                        help="allocations per run (default 100000000, several seconds)")
    scrape.add_argument("--interval", type=float, default=1.0, help="seconds between requests (default 1)")
    options = parser.parse_args()

    # Absolute, so LD_PRELOAD still names the library in a program that changes directory.
    build_dir = os.path.abspath(options.build_dir)
    places = {"bench": os.path.join(build_dir, "tests", "bench"),
              "lib": os.path.join(build_dir, "src"),
              "source": os.path.dirname(os.path.abspath(__file__)),
              "python": sys.executable}
    for path in ("{bench}/mallocbench", "{bench}/malloc_pairs", "{bench}/deep_stacks",
                 "{bench}/libforward_shim.so",
                 "{bench}/measure_run", "{lib}/libheapprof.so"):
        if not os.path.exists(expand(path, places)):
            sys.exit(f"run.py: {expand(path, places)} is missing: build first "
                     "(meson compile -C BUILD, with subdir('bench') in tests/meson.build)")

    run = {"wall": command_wall, "callgrind": command_callgrind, "processes": command_processes,
           "unwind": command_unwind, "scrape": command_scrape}[options.mode]
    with tempfile.TemporaryDirectory(prefix="heapprof-bench-inputs-") as inputs:
        report, all_ran = run(options, {**places, "inputs": inputs}, arguments)
    print(report)
    if options.markdown:
        with open(options.markdown, "w") as f:
            f.write(report)
    return 0 if all_ran else 1


if __name__ == "__main__":
    sys.exit(main())
