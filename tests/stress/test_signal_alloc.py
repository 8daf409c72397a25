"""A signal handler that allocates and frees, running 3,000 times while the
interrupted thread is often inside heapprof: no deadlock, no crash, same output.

glibc's malloc must not be re-entered from a signal handler, with or without
heapprof, so the allocator underneath is a signal-safe bump allocator preloaded
after heapprof: the test exercises heapprof's own re-entry handling alone.

At rate 1 the handler's site holds at most its 3,000 allocations, and at most the 64
blocks it keeps in use: fewer by those that interrupted heapprof itself, which it
forwards without recording (a third of them here), but at least a quarter."""
from harness import *

SIGNALS, KEPT = 3000, 64  # signal_alloc.c's SIGNALS and HANDLER_BLOCKS

bump = os.environ["BUMP_ALLOCATOR"]
with scratch_dir() as directory:
    for rate in ("1", "4096"):
        out = f"signal.{rate}.pb.gz"
        result = same_behaviour([program("signal_alloc")], cwd=directory, preload=[LIB, bump],
                                baseline_preload=[bump], env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": out})
        check(result.stdout == f"signals handled {SIGNALS}\n", result.stdout)
        profile = os.path.join(directory, out)
        check_readable(profile, "main_work")
        if rate == "1":
            allocated = top(profile, "alloc_objects").get("on_alarm", (0, 0))[0]
            in_use = top(profile, "inuse_objects").get("on_alarm", (0, 0))[0]
            print(f"on_alarm: {allocated} of {SIGNALS} allocations recorded, {in_use} of {KEPT} in use")
            check(SIGNALS / 4 <= allocated <= SIGNALS and in_use <= KEPT,
                  f"on_alarm: {allocated} allocations and {in_use} in use recorded; the handler made "
                  f"{SIGNALS} and kept {KEPT}")
print("signal_alloc: ok")
