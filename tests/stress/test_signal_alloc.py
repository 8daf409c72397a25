"""A signal handler that allocates and frees, firing thousands of times while the
interrupted thread is often inside heapprof: no deadlock, no crash, same output.

glibc's malloc must not be re-entered from a signal handler, with or without
heapprof, so the allocator underneath is a signal-safe bump allocator preloaded
after heapprof: the test exercises heapprof's own re-entry handling alone."""
from harness import *

bump = os.environ["BUMP_ALLOCATOR"]
with scratch_dir() as directory:
    for rate in ("1", "4096"):
        out = f"signal.{rate}.pb.gz"
        result = same_behaviour([program("signal_alloc"), "3"], cwd=directory, preload=[LIB, bump],
                                baseline_preload=[bump], env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": out})
        check(result.stdout == "signals handled > 100: 1\n", result.stdout)
        check_readable(os.path.join(directory, out), "main_work")
print("signal_alloc: ok")
