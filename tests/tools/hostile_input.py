#!/usr/bin/env python3
"""Hostile and broken profiles: heapprof must exit 1 with one clear
"heapprof: ..." line on stderr, print nothing else, never crash, and stay
within a bounded amount of memory (every run is limited by RLIMIT_AS). A valid
profile whose ids were chosen to collide in the reader's tables must still be read
in linear time (hash flooding).

    hostile_input.py HEAPPROF [--asan]

--asan: HEAPPROF is built with AddressSanitizer, whose shadow memory needs far more
address space than the limit; each run's heap is bounded by ASan's allocator instead
(measured_run.py). A run's peak memory then counts ASan's shadow and quarantine, so
the peaks are not compared with their bounds, and the time bounds allow for ASan's
slowdown (ASAN_SLOWDOWN)."""

import argparse
import gzip
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from measured_run import Run  # noqa: E402
from pprof_writer import Profile, bytes_field, int_field, key, packed_field, varint  # noqa: E402
from pprof_writer import one_sample_profile as valid  # noqa: E402

MEMORY_LIMIT = 1 << 30  # address space for each heapprof run
ASAN_SLOWDOWN = 3
asan = False  # --asan


def profile_with(edit):
    p = valid()
    edit(p)
    return p.encode()


def cases():
    good = valid().encode()
    yield "empty file", b""
    yield "garbage", bytes(range(256)) * 4
    yield "text", b"this is not a profile\n"
    for cut in (1, 5, len(good) // 2, len(good) - 1):
        yield f"truncated at {cut}", good[:cut]
    yield "truncated gzip", gzip.compress(good)[:-12]
    yield "gzip with garbage after it", gzip.compress(good) + b"garbage!"
    yield "length beyond the end", good + key(2, 2) + varint(1 << 40)
    yield "bad wire type", good + bytes([0x0F])
    yield "no string table", valid().encode(string_table=False)
    bad_first = valid()
    bad_first.strings[0] = "not empty"
    yield "string_table[0] not empty", bad_first.encode()
    yield "zero mapping id", profile_with(lambda p: p.mapping(0, 0, 0, 0, ""))
    yield "zero function id", profile_with(lambda p: p.function(0, "f"))
    yield "zero location id", profile_with(lambda p: p.location(0))
    yield "duplicate mapping id", profile_with(lambda p: p.mapping(1, 0x5000, 0x6000, 0, "/bin/other"))
    yield "duplicate function id", profile_with(lambda p: p.function(1, "other"))
    yield "duplicate location id", profile_with(lambda p: p.location(1, 1, 0x1200, [(1, 4)]))
    yield "unknown location in sample", profile_with(lambda p: p.sample([99], [1]))
    yield "unknown function in line", profile_with(lambda p: p.location(2, 1, 0x1300, [(77, 1)]))
    yield "line without function", profile_with(lambda p: p.location(2, 1, 0x1300, [(0, 1)]))
    yield "too few values", profile_with(lambda p: p.sample([1], []))
    yield "too many values", profile_with(lambda p: p.sample([1], [1, 2]))
    yield "samples without types", Profile().encode() + bytes_field(2, b"") + bytes_field(6, b"")
    out_of_range = 10_000
    yield "function name out of range", profile_with(
        lambda p: p.raw(bytes_field(5, int_field(1, 9) + int_field(2, out_of_range))))
    yield "negative string index", profile_with(lambda p: p.raw(bytes_field(5, int_field(1, 9) + int_field(2, -1))))
    yield "string index just past the table", profile_with(
        lambda p: p.raw(bytes_field(5, int_field(1, 9) + int_field(2, len(p.strings)))))
    yield "mapping file out of range", profile_with(
        lambda p: p.raw(bytes_field(3, int_field(1, 9) + int_field(5, out_of_range))))
    yield "sample type out of range", profile_with(lambda p: p.raw(bytes_field(1, int_field(1, out_of_range))))
    yield "label key out of range", profile_with(
        lambda p: p.raw(bytes_field(2, bytes_field(1, varint(1)) + bytes_field(2, varint(5))
                                    + bytes_field(3, int_field(1, out_of_range)))))
    yield "comment out of range", profile_with(lambda p: p.raw(int_field(13, out_of_range)))
    yield "drop_frames out of range", profile_with(lambda p: p.raw(int_field(7, out_of_range)))
    yield "default_sample_type out of range", profile_with(lambda p: p.raw(int_field(14, out_of_range)))
    yield "concatenated profiles", valid(time_nanos=5).encode() + valid(time_nanos=6).encode()
    yield "gzip bomb", gzip_bomb(1 << 30)
    # Empty samples cost 2 bytes each on the wire and ~90 decoded.
    yield "protobuf bomb", gzip_of_repeated(bytes_field(2, b""), 200 << 20)
    yield "many empty strings", gzip_of_repeated(bytes_field(6, b""), 200 << 20)


# The reader's tables once hashed a 64-bit id by multiplying it by 2^64 over the golden
# ratio: ids i times that factor's inverse all hashed to i, and shared one slot's run.
# Reading them was quadratic (docs/performance.md, "Hashes keyed per process").
GOLDEN_RATIO_FACTOR = 0x9E3779B97F4A7C15
COLLIDING_IDS = 200_000
COLLIDING_IDS_SECONDS = 10


def colliding_ids(count):
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    inverse = pow(GOLDEN_RATIO_FACTOR, -1, 1 << 64)
    ids = [i * inverse % (1 << 64) for i in range(1, count + 1)]
    p.mapping(ids[0], 0x1000, 0x1000 + count, 0, "/bin/app")
    for i, id_ in enumerate(ids):
        p.function(id_, f"f{i}")
        p.location(id_, ids[0], 0x1000 + i, [(id_, 1)])
    p.sample(ids[:10], [100])
    return p


def gzip_of_repeated(unit, size):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = unit * ((1 << 20) // len(unit))
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + compressor.flush()


def gzip_bomb(size):
    return gzip_of_repeated(b"\0", size)


def check(heapprof, args, want_status, label, memory_limit=MEMORY_LIMIT, most_mb=None, most_seconds=None,
          error_words=None, stdout_allowed=False):
    if asan:
        most_mb = None
        most_seconds = most_seconds and most_seconds * ASAN_SLOWDOWN
    run = Run([heapprof] + args, memory_limit, timeout=(most_seconds or 60) * 2, asan=asan)
    stderr = run.stderr
    problems = []
    if run.timed_out:
        problems.append(f"still running after {run.seconds:.0f} s")
    elif run.returncode != want_status:
        problems.append(f"exit status {run.returncode}, want {want_status}")
    if want_status == 1 and run.stdout and not stdout_allowed:
        problems.append(f"printed {len(run.stdout)} bytes on stdout")
    if want_status == 1 and (stderr.count("\n") != 1 or not stderr.startswith("heapprof: ")):
        problems.append("stderr is not one 'heapprof: ' line")
    if error_words and error_words not in stderr:
        problems.append(f"the error does not say '{error_words}'")
    if most_mb and run.peak_mb > most_mb:
        problems.append(f"took {run.peak_mb:.0f} MB, more than {most_mb:.0f} MB")
    if most_seconds and run.seconds > most_seconds:
        problems.append(f"took {run.seconds:.1f} s, more than {most_seconds} s")
    verdict = "FAIL" if problems else "ok"
    print(f"{verdict:4} {label} ({run.seconds:.1f} s, {run.peak_mb:.0f} MB): {stderr.strip()[:150]}"
          + ("".join("\n     " + p for p in problems)), flush=True)
    return not problems


def profile_naming(path, files):
    """A profile with one function per (file, line) of files, each with a sample."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    p.mapping(1, 0x1000, 0x100000, 0, "/bin/app")
    for i, (filename, line) in enumerate(files, 1):
        p.function(i, f"f{i}", filename=filename)
        p.location(i, 1, 0x1000 + i, [(i, line)])
        p.sample([i], [100])
    p.write(path)
    return path


def check_sources(heapprof, tmp):
    """list reads the files a profile names: regular files only, a bounded
    amount of each and of all together."""
    ok = True
    profile = os.path.join(tmp, "sources.pb.gz")
    profile_naming(profile, [("/dev/zero", 1)])
    ok &= check(heapprof, ["list", ".", profile], 0, "list of a function in /dev/zero", most_mb=100, most_seconds=10)
    fifo = os.path.join(tmp, "fifo.c")
    os.mkfifo(fifo)
    profile_naming(profile, [(fifo, 1)])
    ok &= check(heapprof, ["list", ".", profile], 0, "list of a function in a FIFO without a writer", most_seconds=10)

    big = os.path.join(tmp, "big.c")
    line = b"abcdefghijklmno\n"  # 16 bytes: 2 Mi lines in the first 32 MiB
    with open(big, "wb") as out:
        out.write(line * (40 << 16))
    profile_naming(profile, [(big, 2_097_150), (big, 2_200_000)])
    run = Run([heapprof, "list", ".", profile], MEMORY_LIMIT, asan=asan)
    shown = run.stdout.decode()
    within = "2097150:abcdefghijklmno" in shown and "2097152:abcdefghijklmno" in shown
    past = "2097153:" in shown or "2200000:" in shown
    print(f"{'ok' if within and not past else 'FAIL':4} list of a 40 MiB source: lines past its first 32 MiB are"
          f" not shown (within: {within}, past: {past})")
    ok &= within and not past

    with open(big, "wb") as out:
        out.write(line * (32 << 16))
    links = []
    for i in range(9):
        links.append(os.path.join(tmp, f"link{i}.c"))
        os.symlink(big, links[-1])
    profile_naming(profile, [(link, 1) for link in links])
    ok &= check(heapprof, ["list", ".", profile], 1, "list of nine 32 MiB sources", most_mb=500, most_seconds=60,
                error_words="more than 256 MiB", stdout_allowed=True)
    return ok


def check_budgets(heapprof, tmp):
    """Each of the reader's budgets (docs/cli.md, "Input"), met by a profile
    that passes every other: refused with an error naming it, in bounded time
    and memory."""
    ok = True
    ok &= check(heapprof, ["top", "/dev/zero"], 1, "a profile that never ends (/dev/zero)", memory_limit=3 << 29,
                most_mb=1100, most_seconds=30, error_words="larger than 1024 MiB")

    # 4.1 MiB that gzip cannot shrink, then zeros: the ratio would allow 1 GiB and more.
    path = os.path.join(tmp, "budget.pb.gz")
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    with open(path, "wb") as out:
        out.write(compressor.compress(os.urandom(41 << 17)))
        for _ in range(1 << 10):
            out.write(compressor.compress(bytes(1 << 20)))
        out.write(compressor.flush())
    ok &= check(heapprof, ["top", path], 1, "a profile decompressing to over 1 GiB", memory_limit=3 << 29,
                most_mb=1200, most_seconds=30, error_words="larger than 1024 MiB")

    header = valid().encode()
    for what, unit, count in (("samples", bytes_field(2, b""), 9 << 20),
                              ("locations", bytes_field(4, int_field(1, 1)), 9 << 20)):
        with open(path, "wb") as out:
            out.write(gzip_of_repeated(unit, count * len(unit)) + gzip.compress(header))
        ok &= check(heapprof, ["top", path], 1, f"{count:,} {what}", most_mb=300, most_seconds=30,
                    error_words=f"more than {8 << 20} {what}")

    # Labels decode to 53 bytes per byte: 10 MiB of them pass the budget of
    # 64 MiB + 32 per byte, 64 MiB of them the 2 GiB it stops at.
    for megabytes, budget in ((10, 384), (64, 2048)):
        labels = bytes_field(2, packed_field(2, [1]) + bytes_field(3, b"") * (megabytes << 19))
        with open(path, "wb") as out:
            out.write(gzip.compress(header + labels, compresslevel=1))
        ok &= check(heapprof, ["top", path], 1, f"a sample of {megabytes} MiB of labels", most_mb=megabytes + 100,
                    most_seconds=30, error_words=f"decoding would need more than {budget} MiB")

    # 4,096 inlined lines in one location, 4,096 times on each of 1,100 stacks.
    p = valid()
    p.function(2, "inlined", filename="inlined.c")
    p.location(2, 1, 0x1200, [(2, line) for line in range(1, 4097)])
    for _ in range(1100):
        p.sample([2] * 4096, [1])
    p.write(path)
    for command in (["top"], ["flame", "-o", os.path.join(tmp, "frames.svg")], ["list", "."]):
        ok &= check(heapprof, command + [path], 1, f"{command[0]} of stacks of 16 Mi frames each", most_mb=300,
                    most_seconds=10, error_words="frames")
    return ok


def check_regexps(heapprof, tmp):
    """Regular expressions from a profile (drop_frames, keep_frames) and from
    the command line (list), costly for glibc, which copied a repeated group
    once per repetition and recursed once per nested group. pprof's Go regexp
    refuses both; heapprof too: RE2 the first, regex_bounds.c the second."""
    ok = True
    nested = "(" * 100_000 + "main" + ")" * 100_000
    path = os.path.join(tmp, "regexp.pb.gz")
    for label, header in (("drop_frames of 24 bytes repeating a billion times",
                           {"drop_frames": "((a{1000}){1000}){1000}"}),
                          ("drop_frames of 100,000 nested groups", {"drop_frames": nested}),
                          ("keep_frames of 100,000 nested groups", {"drop_frames": "main", "keep_frames": nested})):
        valid(**header).write(path)
        ok &= check(heapprof, ["top", path], 0, "top with a " + label, most_mb=300, most_seconds=10)
    valid().write(path)
    for label, pattern in (("repeating a billion times", "((a{1000}){1000}){1000}"),
                           ("of 50,000 nested groups", "(" * 50_000 + "main" + ")" * 50_000)):
        ok &= check(heapprof, ["list", pattern, path], 2, "list of a regexp " + label, most_mb=300, most_seconds=10)
    return ok


def check_binaries(heapprof, tmp):
    """symbolize reads the binaries a profile's mappings name: regular files
    only (a FIFO blocked it for good)."""
    ok = True
    fifo = os.path.join(tmp, "binary-fifo")
    os.mkfifo(fifo)
    for binary, build_id in ((fifo, ""), (fifo, "0123456789abcdef"), ("/dev/zero", "")):
        p = Profile()
        p.sample_type("inuse_space", "bytes")
        p.mapping(1, 0x1000, 0x2000, 0, binary, build_id)
        p.location(1, 1, 0x1100)
        p.sample([1], [10])
        path = os.path.join(tmp, "binary.pb.gz")
        p.write(path)
        label = f"symbolize of a mapping of {binary.replace(tmp, 'TMP')}" + (" with a build ID" if build_id else "")
        run = Run([heapprof, "symbolize", path, "-o", path + ".out"], MEMORY_LIMIT, timeout=20, asan=asan)
        good = run.returncode == 0 and f"no binary for {binary}" in run.stderr
        print(f"{'ok' if good else 'FAIL':4} {label} ({run.seconds:.1f} s): {run.stderr.strip()[:150]}")
        ok &= good
    return ok


def check_flame(heapprof, tmp):
    """Deep stacks everywhere (flame recursed on them), and flame's memory in
    proportion to the profile's, not to the frames of all its stacks."""
    ok = True
    deep = os.path.join(tmp, "deep.pb.gz")
    p = valid()
    p.sample([1] * 50_000, [7])
    p.write(deep)
    svg = os.path.join(tmp, "deep.svg")
    page = os.path.join(tmp, "deep.html")
    for command in (["flame", deep, "-o", svg], ["top", deep], ["list", ".", deep], ["diff", deep, deep],
                    ["report", deep, deep, "-o", page]):
        ok &= check(heapprof, command, 0, f"{command[0]} of a stack of 50,000 frames", most_seconds=30)
    drawn = open(svg).read().count('<g class="frame" ') if os.path.exists(svg) else 0
    print(f"{'ok' if drawn == 50_001 else 'FAIL':4} flame draws all 50,001 frames of it ({drawn})")
    ok &= drawn == 50_001

    # 20,000 random stacks of 250 frames: 5 million frames, each sample too
    # narrow to draw beyond its first frames.
    rng = random.Random(1)
    wide = Profile()
    wide.sample_type("inuse_space", "bytes")
    wide.mapping(1, 0x400000, 0x4000000, 0, "/bin/app")
    for f in range(1, 5001):
        wide.function(f, f"function_{f}")
    for location in range(1, 30_001):
        wide.location(location, 1, 0x400000 + location * 16, [(rng.randint(1, 5000), 1)])
    ids = [varint(i) for i in range(30_001)]
    for _ in range(20_000):
        stack = b"".join(ids[rng.randint(1, 30_000)] for _ in range(250))
        wide.raw(bytes_field(2, bytes_field(1, stack) + bytes_field(2, varint(1))))
    path = os.path.join(tmp, "wide.pb.gz")
    wide.write(path)
    top = Run([heapprof, "top", path], MEMORY_LIMIT, asan=asan)
    ok &= check(heapprof, ["flame", path, "-o", os.path.join(tmp, "wide.svg")], 0,
                f"flame of 20,000 stacks of 250 frames (top: {top.peak_mb:.0f} MB)", most_seconds=60,
                most_mb=top.peak_mb + 64)
    ok &= check(heapprof, ["report", path, path, "-o", os.path.join(tmp, "wide.html")], 0,
                f"report of two profiles of 20,000 stacks of 250 frames (top: {top.peak_mb:.0f} MB)",
                most_seconds=60, most_mb=3 * top.peak_mb + 64)  # both profiles and their difference

    # 2,000 inlined lines, 600 times on one stack: 1.2 million frames to draw.
    p = valid()
    p.function(2, "inlined", filename="inlined.c")
    p.location(2, 1, 0x1200, [(2, line) for line in range(1, 2001)])
    p.sample([2] * 600, [1])
    p.write(path)
    svg = os.path.join(tmp, "too-many.svg")
    ok &= check(heapprof, ["flame", path, "-o", svg], 1, "flame of 1.2 million frames to draw", most_seconds=30,
                error_words="more than 1048576 frames")
    print(f"{'FAIL' if os.path.exists(svg) else 'ok':4} nothing written for it")
    page = os.path.join(tmp, "too-many.html")
    ok &= check(heapprof, ["report", path, "-o", page], 0, "report of 1.2 million frames to draw", most_seconds=30)
    noted = os.path.exists(page) and "more than 1048576 frames" in open(page).read()
    print(f"{'ok' if noted else 'FAIL':4} the page says its flame graph was not drawn")
    return ok and noted and not os.path.exists(svg)


def check_quadratic(heapprof, tmp):
    """Work that grows with the square of a list in the input: -base's
    comments, list's files and a function's lines."""
    ok = True
    profiles = []
    for side in ("old", "new"):
        p = valid(comments=[f"{side} comment {i}" for i in range(100_000)])
        profiles.append(os.path.join(tmp, f"comments-{side}.pb.gz"))
        p.write(profiles[-1])
    ok &= check(heapprof, ["top", "-base", profiles[0], profiles[1]], 0,
                "top -base of two profiles of 100,000 comments each", most_seconds=10)

    profile = os.path.join(tmp, "files.pb.gz")
    profile_naming(profile, [(f"/nonexistent/file{i}.c", 1) for i in range(100_000)])
    ok &= check(heapprof, ["list", ".", profile], 0, "list of 100,000 functions in missing files", most_seconds=15)

    source = os.path.join(tmp, "long.c")
    with open(source, "w") as out:
        out.writelines(f"line {i}\n" for i in range(1, 100_001))
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    p.mapping(1, 0x1000, 0x100000, 0, "/bin/app")
    p.function(1, "long_function", filename=source, start_line=1)
    for line in range(1, 100_001):
        p.location(line, 1, 0x1000 + line, [(1, line)])
        p.sample([line], [line])
    p.write(profile)
    ok &= check(heapprof, ["list", ".", profile], 0, "list of a function with samples on 100,000 lines",
                most_seconds=15)
    return ok


def substitution(index):
    """A mangled name's reference to its index-th substitution: S_, S0_, ..., S9_, SA_, ..."""
    if index == 0:
        return "S_"
    digits, index, base36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", index - 1, ""
    while True:
        base36 = digits[index % 36] + base36
        index //= 36
        if not index:
            return f"S{base36}_"


def demangler_bombs(levels=28):
    """Mangled C++ names of a few hundred bytes whose demangled form doubles with each
    level, std::pair<std::pair<...>, std::pair<...>>: (label, name, pprof's name)."""
    pairs = "St4pairIiiE" + "".join(f"S_I{substitution(j + 1)}{substitution(j + 1)}E" for j in range(levels))
    thunk_pairs = "St4pairIiiE" + "".join(f"S0_I{substitution(j + 2)}{substitution(j + 2)}E" for j in range(levels))
    enclosing = ", ".join(["std::pair"] * (levels + 1))

    def nested(level, top):  # P<P<...>, P<...>> as GCC mangles Holder<P<...>>
        if level == 0:
            return "S0_IiiE"
        return ("1P" if level == top else "S0_") + "I" + nested(level - 1, top) + substitution(level + 1) + "E"

    return [("in its parameters", "_Z1f" + pairs, "f"),
            ("in its template arguments", "_ZN6HolderI" + nested(levels - 1, levels - 1) + "E5allocEv",
             "Holder::alloc"),
            ("in its enclosing function's parameters", "_ZZ1f" + pairs + "E1gv", f"f({enclosing})::g"),
            ("in a thunk's target", "_ZThn8_N1A1fE" + thunk_pairs, f"non-virtual thunk to A::f({enclosing})")]


def check_demangler(heapprof, tmp):
    """Mangled names that demangle to gigabytes: every command shows each by pprof's
    name or as it is, in bounded time and memory."""
    bombs = demangler_bombs()
    paths = {}
    for side, scale in (("old", 1), ("new", 2)):
        p = Profile()
        p.sample_type("inuse_space", "bytes")
        p.mapping(1, 0x1000, 0x100000, 0, "/bin/app")
        for i, (_, name, _) in enumerate(bombs, 1):
            p.function(i, name, filename="app.cc")
            p.location(i, 1, 0x1000 + i, [(i, 3)])
            p.sample([i], [100 * i * scale])
        paths[side] = os.path.join(tmp, f"bombs-{side}.pb.gz")
        p.write(paths[side])
    svg = os.path.join(tmp, "bombs.svg")
    ok = True
    for command in (["top", paths["new"]], ["list", ".", paths["new"]], ["flame", "-o", svg, paths["new"]],
                    ["diff", paths["old"], paths["new"]]):
        run = Run([heapprof] + command, MEMORY_LIMIT, timeout=60, asan=asan)
        shown = open(svg).read() if command[0] == "flame" and os.path.exists(svg) else run.stdout.decode()
        problems = [] if run.returncode == 0 else [f"exit status {run.returncode}: {run.stderr.strip()[:150]}"]
        problems += [f"{label}: neither {pprof_name} nor the name as it is"
                     for label, name, pprof_name in bombs if pprof_name not in shown and name not in shown]
        if run.seconds > 5 * (ASAN_SLOWDOWN if asan else 1):
            problems.append(f"took {run.seconds:.1f} s")
        if not asan and run.peak_mb > 100:
            problems.append(f"took {run.peak_mb:.0f} MB")
        print(f"{'FAIL' if problems else 'ok':4} {command[0]} of names that demangle to gigabytes "
              f"({run.seconds:.1f} s, {run.peak_mb:.0f} MB)" + "".join("\n     " + p for p in problems), flush=True)
        ok &= not problems
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("heapprof")
    parser.add_argument("--asan", action="store_true")
    args = parser.parse_args()
    heapprof = os.path.abspath(args.heapprof)
    global asan
    asan = args.asan
    if not shutil.which("zstd"):
        print("FAIL zstd is not installed (apt-get install zstd): the zstd cases cannot run")
        return 1
    ok = True
    with tempfile.TemporaryDirectory(prefix="heapprof-hostile-") as tmp:
        for label, data in cases():
            path = os.path.join(tmp, "profile")
            with open(path, "wb") as out:
                out.write(data)
            for command in (["top"], ["list", "."]):
                ok &= check(heapprof, command + [path], 1, f"{command[0]} {label}")
        bomb = os.path.join(tmp, "bomb.zst")
        with open(bomb, "wb") as out:
            subprocess.run(["zstd", "-q", "-c", "--no-check"], input=bytes(1 << 30), stdout=out, check=True)
        ok &= check(heapprof, ["top", bomb], 1, "zstd bomb")
        truncated = os.path.join(tmp, "truncated.zst")
        with open(truncated, "wb") as out:
            out.write(subprocess.run(["zstd", "-q", "-c"], input=valid().encode(), capture_output=True,
                                     check=True).stdout[:-3])
        ok &= check(heapprof, ["top", truncated], 1, "truncated zstd")
        good = os.path.join(tmp, "good.pb.gz")
        valid().write(good)
        ok &= check(heapprof, ["top", os.path.join(tmp, "missing.pb.gz")], 1, "missing file")
        ok &= check(heapprof, ["top", tmp], 1, "a directory")
        ok &= check(heapprof, ["top", good], 0, "the valid profile")
        flooded = os.path.join(tmp, "colliding_ids.pb.gz")
        colliding_ids(COLLIDING_IDS).write(flooded)
        started = time.monotonic()
        ok &= check(heapprof, ["top", flooded], 0, f"{COLLIDING_IDS} ids chosen to collide")
        took = time.monotonic() - started
        if took > COLLIDING_IDS_SECONDS:
            print(f"FAIL {COLLIDING_IDS} ids chosen to collide: {took:.1f} s, more than {COLLIDING_IDS_SECONDS}")
            ok = False

        # Past the bomb ratio (256x), yet small: read, as any profile under 256 MiB.
        repetitive = valid()
        for _ in range(200_000):
            repetitive.sample([1], [100])
        plain = repetitive.encode()
        with open(os.path.join(tmp, "repetitive.pb.gz"), "wb") as out:
            out.write(gzip.compress(plain, 9))
        ratio = len(plain) // os.path.getsize(out.name)
        ok &= check(heapprof, ["top", out.name], 0, f"a small profile gzip shrinks {ratio}x")
        if ratio <= 256:
            print(f"FAIL the repetitive profile shrinks only {ratio}x: it no longer tests the limit for small inputs")
            ok = False
        for args in ([], ["top"], ["top", "-nodecount"], ["top", "-bogus", good], ["top", "-nodecount=x", good],
                     ["top", "-sample_index=nope", good], ["top", "-sample_index=7", good], ["frobnicate"],
                     ["list", good], ["list", "(", good]):
            ok &= check(heapprof, args, 2, "usage: heapprof " + " ".join(a.replace(tmp, "TMP") for a in args))
        ok &= check_budgets(heapprof, tmp)
        ok &= check_sources(heapprof, tmp)
        ok &= check_regexps(heapprof, tmp)
        ok &= check_binaries(heapprof, tmp)
        ok &= check_flame(heapprof, tmp)
        ok &= check_quadratic(heapprof, tmp)
        ok &= check_demangler(heapprof, tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
