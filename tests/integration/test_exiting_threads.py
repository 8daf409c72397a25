"""Threads that end while the registry is summed (programs/exiting_threads.c): a
thread that first frees on its way out, after its key destructors, is not listed, so
the thread given its TLS next does not loop the registry's list; and stats read while
threads allocate never show more samples than allocations (at rate 1 every allocation
is one); glibc's SIGEV_THREAD timer thread, which blocks what an ending thread
blocks, is listed, so the frees of what it allocates have their allocations."""
import subprocess
from harness import *

with scratch_dir() as directory:
    for mode in ("late", "stats", "timer"):
        try:
            result = run([program("exiting_threads"), mode], cwd=directory, env={"HEAPPROF_RATE": "1"},
                         timeout=30)
        except subprocess.TimeoutExpired:
            fail(f"{mode}: hung")
        check(result.returncode == 0 and result.stdout == "ok\n" and not heapprof_lines(result.stderr),
              f"{mode}: status {result.returncode}, {result.stdout!r}, {result.stderr!r}")
print("exiting_threads: ok")
