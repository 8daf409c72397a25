"""fork from a signal handler that interrupted heapprof (docs/reliability.md, "Cases
decided"): a 300 µs timer whose handler forks every eighth time, while the only
thread allocates and frees at rate 1 and 4096, so that many forks interrupt a
recording. Neither process may wait for the interrupted code: the parent goes on,
the children that _exit from the handler and those that return from it and exit
normally all end cleanly, and those leave readable profiles. It hung at the first
such fork before.

As in test_signal_alloc, the allocator underneath is the signal-safe bump
allocator: glibc's malloc must not be re-entered from a handler."""
from harness import *

bump = os.environ["BUMP_ALLOCATOR"]
with scratch_dir() as directory:
    for rate in ("1", "4096"):
        out = os.path.join(directory, rate)
        os.mkdir(out)
        result = same_behaviour([program("fork_in_handler"), "2"], cwd=out, preload=[LIB, bump],
                                baseline_preload=[bump], env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": "f.%p.pb.gz"})
        check(result.stdout == "children > 10: 1, all clean: 1\n", result.stdout)
        profiles = profiles_in(out)
        check(len(profiles) > 1, f"rate {rate}: {len(profiles)} profiles, expected the parent's and children's")
        for profile in profiles[:: max(1, len(profiles) // 10)]:
            pprof(profile, "-top")
print("fork_in_handler: ok")
