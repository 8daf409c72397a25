#!/usr/bin/env python3
"""Writes a large heap profile for the top benchmark (tests/bench/cli_top_bench.sh):
make_big_profile.py OUT MEGABYTES (of encoded protobuf, before gzip)."""

import gzip
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from pprof_writer import Profile, bytes_field, key, varint  # noqa: E402


def main():
    out, megabytes = sys.argv[1], float(sys.argv[2])
    rng = random.Random(42)
    p = Profile()
    for type_, unit in [("alloc_objects", "count"), ("alloc_space", "bytes"),
                        ("inuse_objects", "count"), ("inuse_space", "bytes")]:
        p.sample_type(type_, unit)
    p.period_type("space", "bytes", 524288)
    p.mapping(1, 0x400000, 0x4000000, 0, "/usr/bin/bigapp", "0badc0de")
    n_functions, n_locations = 20000, 60000
    for f in range(1, n_functions + 1):
        p.function(f, f"module{f % 97}::Class{f % 1013}::method{f}", filename=f"/src/module{f % 97}.cc",
                   start_line=f % 5000 + 1)
    for loc in range(1, n_locations + 1):
        frames = [(rng.randrange(1, n_functions + 1), rng.randrange(1, 6000)) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        p.location(loc, 1, 0x400000 + loc * 16, frames)
    encoded_ids = [varint(i) for i in range(n_locations + 1)]
    hot = [rng.randrange(1, n_locations + 1) for _ in range(2000)]
    body = [p.encode(string_table=True)]
    size = len(body[0])
    while size < megabytes * (1 << 20):
        depth = rng.randrange(8, 40)
        stack = b"".join(encoded_ids[rng.choice(hot) if rng.random() < 0.7 else rng.randrange(1, n_locations + 1)]
                         for _ in range(depth))
        objects = rng.randrange(1, 50)
        space = objects * rng.choice([16, 32, 64, 256, 4096])
        values = b"".join(varint(v) for v in (objects, space, objects // 2, space // 2))
        sample = bytes_field(2, bytes_field(1, stack) + bytes_field(2, values))
        body.append(sample)
        size += len(sample)
    with gzip.open(out, "wb", compresslevel=1) as sink:
        sink.write(b"".join(body))


if __name__ == "__main__":
    main()
