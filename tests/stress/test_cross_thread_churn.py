"""64 threads allocating and freeing across threads for 10 s, at rate 1 and at the
default rate: no deadlock (the run is bounded by a timeout), no crash, same output,
and a readable profile."""
from harness import *

with scratch_dir() as directory:
    for rate in ("1", "524288"):
        out = f"churn.{rate}.pb.gz"
        result = run([program("cross_thread_churn"), "64", "10"], cwd=directory, timeout=120,
                     env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": out})
        check(result.returncode == 0 and result.stdout == "threads 64 done, operations > 0: 1\n",
              f"rate {rate}: status {result.returncode}, {result.stdout} {result.stderr}")
        rows = top(os.path.join(directory, out), "alloc_objects")
        check("churn_block" in rows, f"rate {rate}: churn_block missing: {sorted(rows)}")
        check_readable(os.path.join(directory, out), "churn_block")
print("cross_thread_churn: ok")
