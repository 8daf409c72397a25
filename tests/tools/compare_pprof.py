#!/usr/bin/env python3
"""The comparison suite of issue #3: runs go tool pprof and heapprof on the
same profiles with the same flags and fails on any byte of difference, on
stdout and, when pprof succeeds, on stderr (but for pprof's notes on reading
binaries, which heapprof top and list never read).

    compare_pprof.py HEAPPROF [--library LIBHEAPPROF --program PROGRAM]

Profiles: heap and allocs profiles written by a Go program built here
(MemProfileRate 1, 2048 and the default; with and without frees; an inlined
function), the crafted profiles of make_profiles.py, pairs of both compared
with -base (top -base=OLD NEW and diff OLD NEW), and with --library,
profiles our preload library writes of PROGRAM: each must be read by go tool
pprof with Go's four sample types, and every comparison on them must be a report
on both sides, not an error on both. Exit 77 (skipped) when the library is not
built or Go is not installed."""

import argparse
import concurrent.futures
import difflib
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import make_profiles  # noqa: E402

# go tool pprof tries to symbolize from the binaries a profile's mappings
# name and says when it cannot; heapprof leaves that to `heapprof symbolize`.
BINARY_NOTES = re.compile(rb"^(Local symbolization failed for .*|Some binary filenames not available\. .*"
                          rb"|Try setting PPROF_BINARY_PATH .*)\n", re.M)

TOP_FLAGS = [[], ["-cum"], ["-nodecount=3"], ["-nodecount=1"], ["-nodefraction=0"], ["-nodefraction=0.1"],
             ["-unit=MB"], ["-unit=kB"], ["-unit=B"], ["-unit=auto"], ["-unit=s"], ["-cum", "-nodecount=5"],
             ["-nodecount=8", "-nodefraction=0.001"]]


def go_env(tmp):
    env = dict(os.environ, GOCACHE=os.path.join(tmp, "gocache"), GOPATH=os.path.join(tmp, "gopath"),
               GOFLAGS="-mod=mod", GOPROXY="off", GO111MODULE="on", GOTOOLCHAIN="local", TZ="UTC")
    env.pop("GOROOT", None)
    return env


def build_go_profiles(tmp, env):
    """Builds goheap and runs it at each MemProfileRate; returns the profiles."""
    work = os.path.join(tmp, "goheap")
    os.makedirs(work)
    shutil.copy(os.path.join(HERE, "goheap", "main.go"), work)
    with open(os.path.join(work, "go.mod"), "w") as out:
        out.write("module goheap\n\ngo 1.19\n")
    subprocess.run(["go", "build", "-o", "goheap", "."], cwd=work, env=env, check=True)
    profiles = []
    for rate in (1, 2048, 0):
        for frees in (False, True):
            stem = os.path.join(tmp, f"go_rate{rate}_{'frees' if frees else 'kept'}")
            subprocess.run([os.path.join(work, "goheap"), f"-rate={rate}", f"-frees={str(frees).lower()}",
                            f"-heap={stem}.heap.pb.gz", f"-allocs={stem}.allocs.pb.gz"], env=env, check=True)
            profiles += [stem + ".heap.pb.gz", stem + ".allocs.pb.gz"]
    return profiles, os.path.join(work, "main.go")


def profile_types(path):
    """The sample type names, as go tool pprof -raw lists them after "Samples:"."""
    raw = subprocess.run(["go", "tool", "pprof", "-raw", path], capture_output=True, text=True).stdout
    lines = raw.splitlines()
    if "Samples:" not in lines:
        return []
    header = lines[lines.index("Samples:") + 1]
    return [column.split("/")[0] for column in header.split()]


class Suite:
    def __init__(self, heapprof, env):
        self.heapprof = heapprof
        self.env = env
        self.cases = []
        self.failures = []

    def add(self, pprof_args, heapprof_args, cwd=None, label="", env=None, must_report=False):
        """must_report: go tool pprof must print a report, not an error (on a profile
        that must be readable, an error on both sides would compare as identical)."""
        self.cases.append((pprof_args, heapprof_args, cwd, label, env or self.env, must_report))

    def run_case(self, case):
        pprof_args, heapprof_args, cwd, label, env, must_report = case
        want = subprocess.run(["go", "tool", "pprof"] + pprof_args, capture_output=True, env=env, cwd=cwd)
        got = subprocess.run([self.heapprof] + heapprof_args, capture_output=True, env=env, cwd=cwd)
        if must_report and want.returncode != 0:
            return False, (f"FAIL {label}: go tool pprof {' '.join(pprof_args)} failed, so the comparison "
                           f"means nothing:\n{want.stderr.decode(errors='replace')[:1000]}")
        # pprof exits 2 on every error; heapprof distinguishes usage (2) from input (1).
        if (want.returncode == 0) != (got.returncode == 0) or want.stdout != got.stdout:
            return False, self.failure(label, heapprof_args, want, got, want.stdout, got.stdout)
        # Errors heapprof words its own way.
        want_stderr = BINARY_NOTES.sub(b"", want.stderr)
        if want.returncode == 0 and want_stderr != got.stderr:
            return False, self.failure(label + " (stderr)", heapprof_args, want, got, want_stderr, got.stderr)
        return want.returncode == 0, None

    @staticmethod
    def failure(label, heapprof_args, want, got, wanted, printed):
        diff = "".join(difflib.unified_diff(wanted.decode(errors="replace").splitlines(True),
                                            printed.decode(errors="replace").splitlines(True),
                                            "go tool pprof", "heapprof"))
        return (f"FAIL {label}: heapprof {' '.join(heapprof_args)} (exit {got.returncode}, "
                f"pprof exit {want.returncode})\n{diff[:3000]}{got.stderr.decode(errors='replace')[:500]}")

    def run(self):
        succeeded = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for pprof_succeeded, failure in pool.map(self.run_case, self.cases):
                succeeded += pprof_succeeded
                if failure:
                    self.failures.append(failure)
                    print(failure, flush=True)
        print(f"{len(self.cases) - len(self.failures)} of {len(self.cases)} comparisons identical "
              f"({succeeded} reports, the rest errors on both sides)")
        return bool(self.cases) and not self.failures


def add_top_cases(suite, profile, indices, label, cwd=None, pprof_profile=None, must_report=False):
    """The plain top of every profile must be a report; with must_report, every case."""
    for index in indices:
        index_flag = [f"-sample_index={index}"] if index != "" else []
        for flags in TOP_FLAGS:
            suite.add(["-top"] + index_flag + flags + [pprof_profile or profile],
                      ["top"] + index_flag + flags + [profile], cwd, label,
                      must_report=must_report or not (index_flag or flags))


def add_base_cases(suite, old, new, label, must_report=False):
    """-base: top -base=OLD NEW with every flag set on each sample index, and
    diff OLD NEW, which must print the same report."""
    for index in [""] + profile_types(new) + ["0"]:
        index_flag = [f"-sample_index={index}"] if index != "" else []
        for flags in TOP_FLAGS:
            suite.add(["-top", "-base=" + old] + index_flag + flags + [new],
                      ["top", "-base=" + old] + index_flag + flags + [new], label=label, must_report=must_report)
        for flags in TOP_FLAGS[:3]:
            suite.add(["-top", "-base=" + old] + index_flag + flags + [new],
                      ["diff"] + index_flag + flags + [old, new], label=label, must_report=must_report)


def add_list_cases(suite, profile, regexes, indices, label, cwd=None, extra=([],), must_report=False):
    for regex in regexes:
        for index in indices:
            index_flag = [f"-sample_index={index}"] if index != "" else []
            for flags in extra:
                suite.add(["-list", regex] + index_flag + flags + [profile],
                          ["list"] + index_flag + flags + [regex, profile], cwd, label, must_report=must_report)


def add_go_cases(suite, profiles, source):
    work = os.path.dirname(source)
    list_flags = ([], ["-unit=kB"], ["-source_path=" + work], ["-trim_path=" + os.path.dirname(work)],
                  ["-trim_path=" + os.path.dirname(work), "-source_path=/nonexistent:" + os.path.dirname(work)])
    for profile in profiles:
        types = profile_types(profile)
        add_top_cases(suite, profile, [""] + types + ["1"], os.path.basename(profile))
        add_list_cases(suite, profile, ["main\\.", "allocSmall", "grow", "mapOf", "runtime\\.main$", "nomatch"],
                       ["", "alloc_space"], os.path.basename(profile), extra=list_flags)
    by_name = {os.path.basename(profile): profile for profile in profiles}
    for old, new in [("go_rate1_kept.heap.pb.gz", "go_rate1_frees.heap.pb.gz"),
                     ("go_rate1_frees.heap.pb.gz", "go_rate1_kept.heap.pb.gz"),
                     ("go_rate2048_kept.allocs.pb.gz", "go_rate1_frees.allocs.pb.gz"),
                     ("go_rate0_frees.heap.pb.gz", "go_rate2048_kept.heap.pb.gz")]:
        add_base_cases(suite, by_name[old], by_name[new], "base " + old)


def add_crafted_cases(suite, tmp):
    crafted = os.path.join(tmp, "crafted")
    os.makedirs(crafted)
    make_profiles.write_all(crafted)
    src = os.path.join(crafted, "src")
    for name in sorted(os.listdir(crafted)):
        path = os.path.join(crafted, name)
        if not name.startswith(("heap", "cpu", "units", "many", "diff", "empty", "paths", "mangled")):
            continue
        types = profile_types(path)
        add_top_cases(suite, path, [""] + types + ["0", "inuse_objects" if "heap" in name else "9"], name)
        add_list_cases(suite, path, [".", "make_table|grow", "^(main|worker)$", "std::vector", "from_system",
                                     "f00[0-3]", "f00\\d", "(?i)MAIN", "nomatch"], [""] + types[:1], name, cwd=src,
                       extra=([], ["-unit=MB"]))
    paths = os.path.join(crafted, "paths.pb.gz")
    add_list_cases(suite, paths, ["."], [""], "paths", cwd=src,
                   extra=([], ["-source_path=" + src], ["-source_path=/nonexistent:" + os.path.join(src, "lib")],
                          ["-trim_path=/build/elsewhere"], ["-trim_path=/nonexistent/src"]))
    add_list_cases(suite, paths, ["."], [""], "paths from /", cwd="/")
    for old, new in [("older_heap", "heap"), ("older_heap_time", "heap"), ("heap", "older_heap_time"),
                     ("older_heap", "heap_duration"), ("older_heap", "heap_drop"), ("heap_drop", "older_heap"),
                     ("older_heap_time", "heap_drop_keep"), ("older_heap", "heap_default_type"),
                     ("older_many", "many"), ("many_negative", "older_many"), ("older_cpu", "cpu"),
                     ("cpu", "older_cpu"), ("heap", "cpu"), ("diff_base", "empty")]:
        add_base_cases(suite, os.path.join(crafted, old + ".pb.gz"), os.path.join(crafted, new + ".pb.gz"),
                       f"base {old}")
    add_main_binary_cases(suite, crafted, src)
    add_regexp_cases(suite, crafted)
    add_merge_cases(suite, crafted)
    add_small_cases(suite, crafted, src)
    heap = os.path.join(crafted, "heap.pb.gz")
    zst = os.path.join(crafted, "heap.pb.zst")
    with gzip.open(heap) as plain, open(os.path.join(crafted, "heap.raw"), "wb") as out:
        out.write(plain.read())
    subprocess.run(["zstd", "-q", "-f", os.path.join(crafted, "heap.raw"), "-o", zst], check=True)
    add_top_cases(suite, zst, [""], "zstd", pprof_profile=heap)
    for tz in ("America/New_York", "Asia/Kolkata", ":Europe/Paris", "EST5EDT", "<+03>-3", "", "Nowhere/Atall",
               "right/UTC", "right/Europe/Paris", "/etc/passwd", "/dev/null", "Europe", "zone.tab"):
        env = dict(suite.env, TZ=tz)
        for profile in ("heap.pb.gz", "many.pb.gz", "units.pb.gz"):
            path = os.path.join(crafted, profile)
            suite.add(["-top", path], ["top", path], label="TZ=" + tz, env=env)
    no_tz = {k: v for k, v in suite.env.items() if k != "TZ"}
    suite.add(["-top", heap], ["top", heap], label="TZ unset", env=no_tz)
    return crafted


def add_main_binary_cases(suite, crafted, src):
    """pprof's "Main binary filename not available." on stderr: the first
    mapping has no file name, with and without symbols, with and without a
    kept sample in it, alone and merged with -base."""
    def path(name):
        return os.path.join(crafted, name + ".pb.gz")
    for name in ("nofile", "nofile_symbolized", "nofile_cancelled"):
        suite.add(["-top", path(name)], ["top", path(name)], label=name)
        suite.add(["-list", ".", path(name)], ["list", ".", path(name)], cwd=src, label=name)
    for old, new in [("nofile", "nofile"), ("nofile_cancelled", "nofile"), ("nofile", "nofile_cancelled"),
                     ("nofile_symbolized", "nofile"), ("nofile", "nofile_symbolized")]:
        pprof_args = ["-top", "-base=" + path(old), path(new)]
        suite.add(pprof_args, ["top", "-base=" + path(old), path(new)], label=f"base {old}")
        suite.add(pprof_args, ["diff", path(old), path(new)], label=f"base {old}")


# Go's flag syntax: strconv's for booleans, integers (base prefixes, '_') and
# floats (hexadecimal, '_', inf, NaN), and an empty sample index.
GO_FLAG_SYNTAX = [["-cum=T"], ["-cum=FALSE", "-flat=1"], ["-flat=t"], ["-nodecount=0b11"], ["-nodecount=1_0"],
                  ["-nodecount=0o2"], ["-nodecount=010"], ["-nodecount=+2"], ["-nodecount=9223372036854775807"],
                  ["-nodecount=0x"], ["-nodecount=1__0"], ["-sample_index="], ["-nodefraction=0x1p-4"],
                  ["-nodefraction=1_0e-3"], ["-nodefraction=inf"], ["-nodefraction=NaN"], ["-nodefraction=.5e-1"],
                  ["-nodefraction=0x1"], ["-nodefraction=1e400"], ["-cum", "-flat"]]


def add_small_cases(suite, crafted, src):
    """Item by item: mapping files that parse as URLs, units Go pads by
    character, Go's flag syntax, fields numbered 0, numeric label units
    pprof warns of, list's edge cases."""
    def path(name):
        return os.path.join(crafted, name + ".pb.gz")
    for name in ("small_urls", "small_field_zero", "small_label_units"):
        add_top_cases(suite, path(name), [""], name, must_report=True)
    for flags in GO_FLAG_SYNTAX:
        suite.add(["-top"] + flags + [path("heap")], ["top"] + flags + [path("heap")], label="flags")
    for unit in ("\u03bcs", "\u00b5x", "\u00e9t\u00e9", "furlong", "s"):
        for index in ("0", "1"):
            flags = [f"-unit={unit}", f"-sample_index={index}"]
            suite.add(["-top"] + flags + [path("small_units")], ["top"] + flags + [path("small_units")],
                      label="units", must_report=True)
            suite.add(["-list", "."] + flags + [path("small_units")], ["list"] + flags + [".", path("small_units")],
                      cwd=src, label="units", must_report=True)
    for regex in (".", "edge", "beta", "gamma"):
        suite.add(["-list", regex, path("small_list_edges")], ["list", regex, path("small_list_edges")], cwd=src,
                  label="list edges", must_report=True)
    suite.add(["-list", ".", path("small_label_units")], ["list", ".", path("small_label_units")], cwd=src,
              label="label units")


def add_merge_cases(suite, crafted):
    """profile.Merge as pprof runs it on one profile and on two: repeated
    comments, units of one kind rescaled, base values past 2^53 negated
    through float64, totals past int64."""
    def path(name):
        return os.path.join(crafted, name + ".pb.gz")
    for name in ("merge_comments", "merge_big", "merge_huge", "merge_keys"):
        add_top_cases(suite, path(name), ["", "0"], name, must_report=True)
    for old, new in [("merge_bytes", "merge_kb"), ("merge_kb", "merge_bytes"), ("merge_mb", "merge_kb"),
                     ("merge_big_base", "merge_big"), ("merge_big", "merge_huge"), ("merge_comments", "merge_kb"),
                     ("merge_keys_base", "merge_keys")]:
        add_base_cases(suite, path(old), path(new), f"base {old}", must_report=True)
        suite.add(["-top", "-diff_base=" + path(old), path(new)], ["top", "-diff_base=" + path(old), path(new)],
                  label=f"diff_base {old}", must_report=True)


def add_regexp_cases(suite, crafted):
    """Go's regexp syntax and matching (RE2, less \\C): each form as list's
    argument and as drop_frames."""
    regexp = os.path.join(crafted, "regexp.pb.gz")
    add_list_cases(suite, regexp, make_profiles.REGEXP_FORMS, [""], "regexp")
    for i, form in enumerate(make_profiles.REGEXP_FORMS):
        path = os.path.join(crafted, f"regexp_drop_{i}.pb.gz")
        suite.add(["-top", path], ["top", path], label=f"drop_frames {form}", must_report=True)


def add_library_cases(suite, tmp, library, program):
    out = os.path.join(tmp, "library")
    os.makedirs(out)
    env = dict(os.environ, LD_PRELOAD=library, HEAPPROF_RATE="1",
               HEAPPROF_OUT=os.path.join(out, "lib.%p.pb.gz"))
    subprocess.run([program], env=env, check=True, stdout=subprocess.DEVNULL)
    profiles = sorted(os.path.join(out, name) for name in os.listdir(out))
    # The final profile and the peak profile beside it.
    if len(profiles) != 2 or not profiles[1].endswith(".peak.pb.gz"):
        raise SystemExit(f"FAIL the library wrote {profiles} of {program}, expected a profile and its peak")
    for profile in profiles:
        types = profile_types(profile)
        if types != ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"]:
            raise SystemExit(f"FAIL go tool pprof -raw {profile}: sample types {types}")
        add_top_cases(suite, profile, [""] + types, "library", must_report=True)
        add_list_cases(suite, profile, ["main", "."], [""] + types[:1], "library", must_report=True)
    for old, new in zip(profiles, profiles[1:]):
        add_base_cases(suite, old, new, "library base", must_report=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("heapprof")
    parser.add_argument("--library")
    parser.add_argument("--program")
    args = parser.parse_args()
    if not shutil.which("go"):
        print("go is not installed: nothing to compare with")
        return 77
    if not shutil.which("zstd"):
        print("FAIL zstd is not installed (apt-get install zstd): the zstd cases cannot run")
        return 1
    if args.library and not os.path.exists(args.library):
        print(f"{args.library} is not built yet")
        return 77
    heapprof = os.path.abspath(args.heapprof)
    with tempfile.TemporaryDirectory(prefix="heapprof-compare-") as tmp:
        env = go_env(tmp)
        suite = Suite(heapprof, env)
        if args.library:
            add_library_cases(suite, tmp, args.library, args.program)
        else:
            profiles, source = build_go_profiles(tmp, env)
            add_go_cases(suite, profiles, source)
            add_crafted_cases(suite, tmp)
        return 0 if suite.run() else 1


if __name__ == "__main__":
    sys.exit(main())
