#!/usr/bin/env python3
"""Hostile and broken profiles: heapprof must exit 1 with one clear
"heapprof: ..." line on stderr, print nothing else, never crash, and stay
within a bounded amount of memory (every run is limited by RLIMIT_AS).

    hostile_input.py HEAPPROF [--asan]

--asan: HEAPPROF is built with AddressSanitizer, whose shadow memory needs far more
address space than the limit; each run's heap is bounded by ASan's allocator instead
(no allocation over the limit, and the process stops if its resident memory exceeds
twice the limit, ASan's own overhead included). The warning ASan prints when it
refuses an allocation is not counted as output."""

import argparse
import gzip
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from pprof_writer import Profile, bytes_field, int_field, key, varint  # noqa: E402

MEMORY_LIMIT = 1 << 30  # address space for each heapprof run


def valid(**header):
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    p.mapping(1, 0x1000, 0x2000, 0, "/bin/app")
    p.function(1, "main", filename="main.c")
    p.location(1, 1, 0x1100, [(1, 3)])
    p.sample([1], [100])
    p.header(**header)
    return p


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


def gzip_of_repeated(unit, size):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = unit * ((1 << 20) // len(unit))
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + compressor.flush()


def gzip_bomb(size):
    return gzip_of_repeated(b"\0", size)


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


# How each run is bounded: subprocess.run arguments, replaced under --asan.
LIMITS = {"preexec_fn": limit_memory}
ASAN_REFUSED = re.compile(r"^==\d+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes\n", re.MULTILINE)


def asan_limits():
    options = [os.environ.get("ASAN_OPTIONS", ""), "allocator_may_return_null=1",
               f"max_allocation_size_mb={MEMORY_LIMIT >> 20}", f"hard_rss_limit_mb={2 * MEMORY_LIMIT >> 20}"]
    return {"env": dict(os.environ, ASAN_OPTIONS=":".join(option for option in options if option))}


def check(heapprof, args, want_status, label):
    run = subprocess.run([heapprof] + args, capture_output=True, timeout=120, **LIMITS)
    stderr = ASAN_REFUSED.sub("", run.stderr.decode(errors="replace"))
    problems = []
    if run.returncode != want_status:
        problems.append(f"exit status {run.returncode}, want {want_status}")
    if want_status == 1 and run.stdout:
        problems.append(f"printed {len(run.stdout)} bytes on stdout")
    if want_status == 1 and (stderr.count("\n") != 1 or not stderr.startswith("heapprof: ")):
        problems.append("stderr is not one 'heapprof: ' line")
    verdict = "FAIL" if problems else "ok"
    print(f"{verdict:4} {label}: {stderr.strip()[:150]}" + ("".join("\n     " + p for p in problems)))
    return not problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("heapprof")
    parser.add_argument("--asan", action="store_true")
    args = parser.parse_args()
    heapprof = os.path.abspath(args.heapprof)
    if args.asan:
        LIMITS.clear()
        LIMITS.update(asan_limits())
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
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
