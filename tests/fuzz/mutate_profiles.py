#!/usr/bin/env python3
"""A mutating fuzzer for the heapprof command, on real profiles: the corpus
(tests/fuzz/corpus) and profiles the preload library writes. Each input is
a seed decoded, mutated where protobuf keeps its meaning (varint values,
lengths, field numbers, wire types, repeated fields, strings, packed
values) and in its raw bytes, and compressed again (gzip, zstd, plain, and
sometimes cut or corrupted). Every command runs on it: top, list, diff,
flame, report (after its seed) and symbolize. Each must exit 0 or 1, by no signal, with exactly one
"heapprof:" line on stderr when it exits 1, within a time and a memory
bound (under RLIMIT_AS and a timeout).

    mutate_profiles.py HEAPPROF [--count N] [--seed S] [--library LIB --program PROG]
                       [--findings DIR] [--jobs J] [--asan]

--asan: HEAPPROF is built with AddressSanitizer: its heap is bounded by ASan's
allocator instead of RLIMIT_AS (measured_run.py), its peak memory, which counts
ASan's shadow and quarantine, is not compared with MOST_MB, and it may take
ASAN_SLOWDOWN times MOST_SECONDS.

Inputs that break a rule are kept in the findings directory with what the
command said; the exit status is 1 when there are any."""

import argparse
import concurrent.futures
import glob
import gzip
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from measured_run import Run  # noqa: E402
from pprof_writer import key, varint  # noqa: E402

MEMORY_LIMIT = 2 << 30  # address space of each run
MOST_MB = 1024  # peak memory of a run
MOST_SECONDS = 20  # wall time of a run (2 shared cores: generous)
ASAN_SLOWDOWN = 3

# profile.proto's messages: which fields hold messages, and which packed varints.
MESSAGES = {
    "Profile": {1: "ValueType", 2: "Sample", 3: "Mapping", 4: "Location", 5: "Function", 11: "ValueType"},
    "Sample": {3: "Label"},
    "Location": {4: "Line"},
}
PACKED = {"Profile": {13}, "Sample": {1, 2}}

INTERESTING = [0, 1, 2, 3, 7, 127, 128, 255, 256, 65535, 65536, (1 << 31) - 1, 1 << 31, (1 << 32) - 1,
               1 << 32, 1 << 53, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, (1 << 64) - 2]
STRINGS = [b"", b"%", b"(", b")", b"[", b"\\", b"\x00", b"\xff\xfe", b"main", b"_Z3foov", b"_ZN1a1bEv",
           b"/dev/zero", b"/dev/null", b"/proc/self/mem", b".", b"..", b"/", b"pprof::base", b"true",
           b"inuse_space", b"bytes", b"nanoseconds", b"count", b"a" * 70000, "\u03bcs".encode(),
           b"operator()", b"(anonymous namespace)::f", b"std::vector<int>::push_back(int const&)",
           b"((a{1000}){1000}){1000}", b"(" * 20000 + b"a" + b")" * 20000, b"(a*)*\\1"]


class Field:
    """One field: number, wire type and either a value (varint), raw bytes,
    a list of fields (a message) or a list of varints (packed)."""

    def __init__(self, number, wire, value, kind="raw"):
        self.number, self.wire, self.value, self.kind = number, wire, value, kind

    def copy(self):
        if self.kind == "message":
            return Field(self.number, self.wire, (self.value[0], [f.copy() for f in self.value[1]]), self.kind)
        if self.kind == "packed":
            return Field(self.number, self.wire, list(self.value), self.kind)
        return Field(self.number, self.wire, self.value, self.kind)


def read_varint(data, at):
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value & ((1 << 64) - 1), at


def parse(data, message="Profile"):
    """The fields of a message; raises ValueError when it is not protobuf."""
    fields, at = [], 0
    while at < len(data):
        tag, at = read_varint(data, at)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, at = read_varint(data, at)
            fields.append(Field(number, wire, value, "varint"))
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if at + size > len(data):
                raise ValueError("truncated")
            fields.append(Field(number, wire, data[at:at + size]))
            at += size
        elif wire == 2:
            length, at = read_varint(data, at)
            if at + length > len(data):
                raise ValueError("truncated")
            payload = data[at:at + length]
            at += length
            fields.append(structured(number, payload, message))
        else:
            raise ValueError(f"wire type {wire}")
    return fields


def structured(number, payload, message):
    inner = MESSAGES.get(message, {}).get(number)
    try:
        if inner:
            return Field(number, 2, (inner, parse(payload, inner)), "message")
        if number in PACKED.get(message, ()):
            values, at = [], 0
            while at < len(payload):
                value, at = read_varint(payload, at)
                values.append(value)
            return Field(number, 2, values, "packed")
    except ValueError:
        pass
    return Field(number, 2, payload)


def encode(fields):
    out = bytearray()
    for f in fields:
        out += key(f.number, f.wire)
        if f.kind == "varint":
            out += varint(f.value)
        elif f.kind == "message":
            body = encode(f.value[1])
            out += varint(len(body)) + body
        elif f.kind == "packed":
            body = b"".join(varint(v) for v in f.value)
            out += varint(len(body)) + body
        elif f.kind == "bad-length":
            out += varint(f.value[0]) + f.value[1]
        elif f.wire == 2:
            out += varint(len(f.value)) + f.value
        else:
            out += f.value
    return bytes(out)


def all_fields(fields, out=None):
    """(list holding it, index) of every field, nested ones included."""
    out = [] if out is None else out
    for i, f in enumerate(fields):
        out.append((fields, i))
        if f.kind == "message":
            all_fields(f.value[1], out)
    return out


def interesting_value(rng):
    return rng.choice(INTERESTING) if rng.random() < 0.7 else rng.getrandbits(rng.choice([7, 14, 21, 32, 64]))


def set_varint(rng, fields, index, donors):
    fields[index].value = interesting_value(rng)


def renumber(rng, fields, index, donors):
    f = fields[index]
    f.number = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 13, 14, 15, 16, 100, (1 << 29) - 1, f.number + 1])


def rewire(rng, fields, index, donors):
    f = fields[index]
    f.wire = rng.choice([0, 1, 2, 3, 4, 5, 6, 7])
    if f.kind in ("varint", "packed", "message"):
        f.kind, f.value = "raw", encode([f])[len(key(f.number, f.wire)):]


def bad_length(rng, fields, index, donors):
    f = fields[index]
    body = encode([f])[len(key(f.number, f.wire)):]
    length, at = read_varint(body, 0)
    wrong = max(0, length + rng.choice([-3, -1, 1, 2, 100, 1 << 20, 1 << 40]))
    f.kind, f.value = "bad-length", (wrong, body[at:])


def duplicate(rng, fields, index, donors):
    copies = rng.choice([1, 2, 10, 100, 1000, 5000])
    fields[index + 1:index + 1] = [fields[index].copy() for _ in range(copies)]


def delete(rng, fields, index, donors):
    del fields[index]


def swap(rng, fields, index, donors):
    other = rng.randrange(len(fields))
    fields[index], fields[other] = fields[other], fields[index]


def change_packed(rng, fields, index, donors):
    values = fields[index].value
    choice = rng.randrange(3)
    if choice == 0 and values:
        values[rng.randrange(len(values))] = interesting_value(rng)
    elif choice == 1:
        values += [rng.choice(values or [1])] * rng.choice([1, 10, 1000, 50000])
    elif values:  # deeper stacks of the same frames
        values *= max(2, rng.choice([100, 20000, 100000]) // len(values))


def change_string(rng, fields, index, donors):
    fields[index].value = rng.choice(STRINGS) if rng.random() < 0.7 else rng.randbytes(rng.randrange(40))


def splice(rng, fields, index, donors):
    donor_fields, donor_index = rng.choice(donors)
    fields.insert(index, donor_fields[donor_index].copy())


# Each mutation, and the fields it applies to.
MUTATIONS = [
    (set_varint, lambda f: f.kind == "varint"),
    (renumber, lambda f: True),
    (rewire, lambda f: True),
    (bad_length, lambda f: f.wire == 2),
    (duplicate, lambda f: True),
    (delete, lambda f: True),
    (swap, lambda f: True),
    (change_packed, lambda f: f.kind == "packed"),
    (change_string, lambda f: f.kind == "raw" and f.wire == 2),
    (splice, lambda f: True),
]


def mutate_field(rng, fields, donors):
    mutation, applies = rng.choice(MUTATIONS)
    places = [(holder, i) for holder, i in all_fields(fields) if applies(holder[i])]
    if places:
        holder, index = rng.choice(places)
        mutation(rng, holder, index, donors)


def mutate_bytes(rng, data):
    data = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4])):
        choice = rng.randrange(4)
        at = rng.randrange(len(data) + 1)
        if choice == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif choice == 1:
            data[at:at] = rng.randbytes(rng.randrange(1, 9))
        elif choice == 2:
            del data[at:at + rng.randrange(1, 17)]
        else:
            del data[at:]
    return bytes(data)


def compress(rng, data, zstd):
    choice = rng.random()
    if choice < 0.3:
        out = data
    elif choice < 0.65 or not zstd:
        out = gzip.compress(data, compresslevel=1, mtime=0)
    elif choice < 0.95:
        out = subprocess.run([zstd, "-q", "-c", "-1"], input=data, capture_output=True, check=True).stdout
    else:  # concatenated gzip members
        cut = rng.randrange(len(data) + 1)
        out = gzip.compress(data[:cut], mtime=0) + gzip.compress(data[cut:], mtime=0)
    if out is not data and rng.random() < 0.1:
        out = mutate_bytes(rng, out)
    return out


def decompress(data, zstd):
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run([zstd, "-q", "-d", "-c"], input=data, capture_output=True, check=True).stdout
    return data


def mutant(rng, seed_fields, donors, zstd):
    fields = [f.copy() for f in seed_fields]
    for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):
        mutate_field(rng, fields, donors)
    data = encode(fields)
    if rng.random() < 0.3:
        data = mutate_bytes(rng, data)
    return compress(rng, data, zstd)


def library_seeds(library, program, where):
    """Profiles the preload library writes of the example program (its final
    and peak profiles), with symbols and without. Their compression does not
    matter: each input is compressed anew."""
    if not (library and program and os.path.exists(library) and os.path.exists(program)):
        return []
    runs = []
    for name, symbolize in (("symbols", "1"), ("addresses", "0")):
        env = dict(os.environ, LD_PRELOAD=library, HEAPPROF_RATE="1024", HEAPPROF_SYMBOLIZE=symbolize,
                   HEAPPROF_OUT=os.path.join(where, name + ".%p.pb.gz"))
        runs.append(subprocess.Popen([program], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for run in runs:
        run.wait()
    return sorted(glob.glob(os.path.join(where, "*.pb.gz")))


def commands(heapprof, profile, seed_path, where):
    return {
        "top": [heapprof, "top", profile],
        "list": [heapprof, "list", ".", profile],
        "diff": [heapprof, "diff", seed_path, profile],
        "flame": [heapprof, "flame", profile, "-o", os.path.join(where, "out.svg")],
        "report": [heapprof, "report", seed_path, profile, "-o", os.path.join(where, "out.html")],
        "symbolize": [heapprof, "symbolize", profile, "-o", os.path.join(where, "out.pb.gz")],
    }


def problems_of(run, asan):
    """What breaks the command's promise in one run."""
    if run.timed_out:
        return [f"still running after {run.seconds:.0f} s"]
    found = []
    if run.returncode < 0:
        found.append(f"killed by signal {-run.returncode}")
    elif run.returncode not in (0, 1):
        found.append(f"exit status {run.returncode}")
    heapprof_lines = [line for line in run.stderr.splitlines() if line.startswith("heapprof: ")]
    if run.returncode == 1 and len(heapprof_lines) != 1:
        found.append(f"{len(heapprof_lines)} 'heapprof:' lines on stderr, want 1")
    most_seconds = MOST_SECONDS * (ASAN_SLOWDOWN if asan else 1)
    if run.seconds > most_seconds:
        found.append(f"took {run.seconds:.1f} s, more than {most_seconds} s")
    if run.peak_mb > MOST_MB and not asan:
        found.append(f"took {run.peak_mb:.0f} MB, more than {MOST_MB} MB")
    return found


class Fuzzer:
    def __init__(self, heapprof, seeds, findings, zstd, seed, asan):
        self.heapprof, self.seeds, self.findings, self.zstd = heapprof, seeds, findings, zstd
        self.seed, self.asan = seed, asan
        self.lock = threading.Lock()
        self.runs = self.succeeded = self.failures = 0
        self.slowest = self.largest = 0.0
        self.donors = [place for _, fields in seeds for place in all_fields(fields)]

    def one(self, number):
        rng = random.Random(f"{self.seed}-{number}")
        seed_path, seed_fields = rng.choice(self.seeds)
        data = mutant(rng, seed_fields, self.donors, self.zstd)
        with tempfile.TemporaryDirectory(prefix="heapprof-mutant-") as where:
            profile = os.path.join(where, "mutant")
            with open(profile, "wb") as out:
                out.write(data)
            for name, args in commands(self.heapprof, profile, seed_path, where).items():
                run = Run(args, MEMORY_LIMIT, timeout=3 * MOST_SECONDS * (ASAN_SLOWDOWN if self.asan else 1),
                          cwd=where, isolated=False, asan=self.asan)
                self.note(number, name, args, run, data)

    def note(self, number, name, args, run, data):
        found = problems_of(run, self.asan)
        with self.lock:
            self.runs += 1
            self.succeeded += run.returncode == 0
            self.slowest = max(self.slowest, run.seconds)
            self.largest = max(self.largest, run.peak_mb)
            if not found:
                return
            self.failures += 1
            stem = os.path.join(self.findings, f"input{number}-{name}")
            with open(stem + ".profile", "wb") as out:
                out.write(data)
            with open(stem + ".txt", "w") as out:
                out.write(f"{' '.join(args)}\n{'; '.join(found)}\n{run.stderr[:4000]}")
            print(f"FAIL input {number} ({name}): {'; '.join(found)}: {run.stderr.strip()[:200]}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("heapprof")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", default=str(random.SystemRandom().getrandbits(32)))
    parser.add_argument("--library")
    parser.add_argument("--program")
    parser.add_argument("--findings")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--asan", action="store_true")
    args = parser.parse_args()
    heapprof = os.path.abspath(args.heapprof)
    zstd = shutil.which("zstd")
    findings = args.findings or tempfile.mkdtemp(prefix="heapprof-findings-")
    os.makedirs(findings, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="heapprof-seeds-") as seeds_dir:
        paths = sorted(glob.glob(os.path.join(HERE, "corpus", "*")))
        paths += library_seeds(args.library, args.program, seeds_dir)
        seeds = []
        for path in paths:
            with open(path, "rb") as f:
                try:
                    seeds.append((path, parse(decompress(f.read(), zstd))))
                except (ValueError, OSError, subprocess.CalledProcessError):
                    pass  # the corpus holds a truncated profile on purpose
        fuzzer = Fuzzer(heapprof, seeds, findings, zstd, args.seed, args.asan)
        print(f"seed {args.seed}: {args.count} inputs from {len(seeds)} profiles, findings go to {findings}",
              flush=True)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            list(pool.map(fuzzer.one, range(args.count)))
    if not fuzzer.failures and not args.findings:
        os.rmdir(findings)
    print(f"{args.count} inputs, {fuzzer.runs} runs ({fuzzer.succeeded} exited 0) in "
          f"{time.monotonic() - started:.0f} s; slowest run {fuzzer.slowest:.1f} s, largest {fuzzer.largest:.0f} MB; "
          f"{fuzzer.failures} findings")
    return 1 if fuzzer.failures else 0


if __name__ == "__main__":
    sys.exit(main())
