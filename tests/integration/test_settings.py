"""Malformed HEAPPROF_* values print exactly one "heapprof:" line naming the variable
and leave the program's behaviour untouched; valid ones print nothing."""
from harness import *

BAD_NUMBERS = ["", "abc", "-5", "1e99", "99999999999999999999999", "12abc", " 7"]
CASES = [(name, value) for name in ("HEAPPROF_RATE", "HEAPPROF_DEPTH", "HEAPPROF_SEED", "HEAPPROF_VERBOSE")
         for value in BAD_NUMBERS]
CASES += [("HEAPPROF_RATE", "2T"), ("HEAPPROF_DEPTH", "0"), ("HEAPPROF_DEPTH", "100000"),
          ("HEAPPROF_VERBOSE", "2"), ("HEAPPROF_COMPRESS", ""), ("HEAPPROF_COMPRESS", "lz4"),
          ("HEAPPROF_OUT", ""), ("HEAPPROF_OUT", "heap.%q.pb.gz"), ("HEAPPROF_OUT", "x" * 5000),
          ("HEAPPROF_DUMP_SIGNAL", "SIGFOO"), ("HEAPPROF_DUMP_SIGNAL", "SIGKILL"), ("HEAPPROF_DUMP_SIGNAL", ""),
          ("HEAPPROF_DUMP_INTERVAL", "abc"), ("HEAPPROF_DUMP_PERIOD", "-1"), ("HEAPPROF_PEAK", "2"),
          ("HEAPPROF_SYMBOLIZE", "yes"),
          ("HEAPPROF_UNWIND", "dwarf"), ("HEAPPROF_UNWIND", ""),
          ("HEAPPROF_HTTP", ""), ("HEAPPROF_HTTP", "6060"), ("HEAPPROF_HTTP", "example.com:6060"),
          ("HEAPPROF_HTTP", "127.0.0.1:99999"), ("HEAPPROF_HTTP", "unix:/tmp/%q.sock")]

with scratch_dir() as directory:
    baseline = run([program("known_sites")], preload=False)
    for number, (name, value) in enumerate(CASES):
        env = {"HEAPPROF_OUT": os.path.join(directory, f"settings.{number}.pb.gz"), name: value}
        result = run([program("known_sites")], env=env, cwd=directory)
        lines = heapprof_lines(result.stderr)
        shown = value if len(value) < 40 else value[:20] + "..."
        check(result.returncode == baseline.returncode and result.stdout == baseline.stdout,
              f"{name}={shown!r} changed the program's behaviour")
        check(len(lines) == 1 and lines[0].startswith(f"heapprof: {name}=") and "using" in lines[0],
              f"{name}={shown!r}: expected one heapprof line naming it, got {lines}")
    for number, (name, value) in enumerate((("HEAPPROF_RATE", "64K"), ("HEAPPROF_RATE", "0"),
                                            ("HEAPPROF_DEPTH", "8"), ("HEAPPROF_SEED", "12345"),
                                            ("HEAPPROF_COMPRESS", "zstd"))):
        result = run([program("known_sites")], env={name: value, "HEAPPROF_OUT": f"valid.{number}.pb.gz"},
                     cwd=directory)
        check(not heapprof_lines(result.stderr), f"{name}={value}: unexpected {result.stderr}")
    verbose = run([program("known_sites")], env={"HEAPPROF_VERBOSE": "1", "HEAPPROF_OUT": "v.pb.gz"},
                  cwd=directory)
    lines = heapprof_lines(verbose.stderr)
    check(len(lines) == 2 and all(re.match(r"heapprof: wrote v(\.peak)?\.pb\.gz: \d+ samples, \d+ stacks, \d+ bytes", line)
                                  for line in lines),
          f"HEAPPROF_VERBOSE=1 summary (final and peak profiles): {lines}")
    # Rate 0 is a pure pass-through: no profile at all.
    run([program("known_sites")], env={"HEAPPROF_RATE": "0", "HEAPPROF_OUT": "off.pb.gz"}, cwd=directory)
    check(not os.path.exists(os.path.join(directory, "off.pb.gz")), "HEAPPROF_RATE=0 wrote a profile")
    # Depth limits the frames kept.
    run([program("known_sites")], env={"HEAPPROF_RATE": "1", "HEAPPROF_DEPTH": "1", "HEAPPROF_OUT": "d.pb.gz"},
        cwd=directory)
    rows = top(os.path.join(directory, "d.pb.gz"), "alloc_objects")
    check("main" not in rows and "site_small" in rows, f"HEAPPROF_DEPTH=1 kept callers: {sorted(rows)}")
print("settings: ok")
