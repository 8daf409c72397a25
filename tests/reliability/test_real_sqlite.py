"""sqlite3 building a 200,000-row table in a database file, indexing it and running
sorts, groups and a self-join: at the default rate and at HEAPPROF_RATE=4096."""
import os
from realprog import *

require("sqlite3")
SQL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "build.sql")

for label, env, minimum in (("default rate", {}, 4 << 20), ("HEAPPROF_RATE=4096", {"HEAPPROF_RATE": "4096"}, 4 << 20)):
    log(f"sqlite3, {label}")
    with scratch() as root:
        run = Run(root)
        steps = [Step(["sqlite3", "items.db"], stdin=SQL),
                 # A second process reads the file the first one wrote.
                 Step(["sqlite3", "items.db", "SELECT count(*), max(name) FROM items WHERE bucket < 50;"])]
        results = compare(run, steps, env=env)
        check(results[0].stdout.startswith("delete\n200000|"), f"unexpected output: {results[0].stdout[:300]}")
        check(results[0].stdout.rstrip().endswith("ok"), "integrity_check did not print ok")
        written = check_processes(run, {"sqlite3"})
        check(len(written) == 2, f"expected two sqlite3 profiles, have {sorted(written)}")
        check_readable(run)
        # The first process built the table; it is the one that allocated the most.
        builder = max(written.values(), key=alloc_space)
        total = check_sampled(run, builder, minimum, r"^sqlite3")
        log(f"  sqlite3 profile: {total} bytes allocated (estimated)")
print("real_sqlite: ok")
