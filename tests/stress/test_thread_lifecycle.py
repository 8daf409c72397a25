"""10,000 threads created and exiting: same output, and at rate 1 the exact count of
allocations made by the short-lived threads (their counts survive their exit)."""
from harness import *

with scratch_dir() as directory:
    result = same_behaviour([program("thread_lifecycle"), "10000"], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "threads.pb.gz"})
    threads = int(result.stdout.split()[1])
    rows = top(os.path.join(directory, "threads.pb.gz"), "alloc_objects")
    check(rows.get("short_life", (0, 0))[0] == threads * 21, f"short_life: {rows.get('short_life')}")
    check_readable(os.path.join(directory, "threads.pb.gz"), "short_life")
print("thread_lifecycle: ok")
