"""Threads with small stacks allocate at rate 1, with libunwind and with frame
pointers, over glibc, jemalloc and tcmalloc: one with the smallest stack pthreads
allows (16 KiB), one with 32 KiB that uses 16 KiB of it first. Each must run as it does
without heapprof.

heapprof keeps its capture buffers off the stack, so a call into the allocator needs
little more of it than the allocator itself: --measure paints a thread's stack, makes
every kind of call (sampled and not, a thread's first, in a library just loaded, with
thread labels) and
reports the deepest byte written below the calling function's frame. That must stay
within the bound docs/reliability.md states, whichever allocator is underneath."""
from harness import *

plugin = os.environ["HEAPPROF_PLUGIN"]
# docs/reliability.md, "The stack heapprof needs".
BOUNDS = {"libunwind": 6 * 1024, "fp": 4 * 1024}
ALLOCATORS = {"glibc": [], "jemalloc": ["/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"],
              "tcmalloc": ["/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"]}


def deepest(result):
    check(result.returncode == 0 and result.stdout.startswith("deepest "), result.stdout + result.stderr)
    return int(result.stdout.split()[1])


with scratch_dir() as directory:
    for name, allocator in ALLOCATORS.items():
        check(all(os.path.exists(path) for path in allocator), f"{allocator} is not installed")
        plain = deepest(run([program("small_stacks"), plugin, "--measure"], preload=allocator))
        for unwinder, bound in BOUNDS.items():
            out = f"{name}.{unwinder}.pb.gz"
            # Thread labels on: the deeper path, which also reads the thread's name.
            settings = {"HEAPPROF_RATE": "1", "HEAPPROF_UNWIND": unwinder, "HEAPPROF_OUT": out,
                        "HEAPPROF_LABELS": "thread"}
            same_behaviour([program("small_stacks"), plugin], cwd=directory, env=settings, preload=[LIB] + allocator,
                           baseline_preload=allocator)
            check_readable(os.path.join(directory, out), "site_malloc")
            measured = deepest(run([program("small_stacks"), plugin, "--measure"], cwd=directory,
                                   preload=[LIB] + allocator, env=dict(settings, HEAPPROF_OUT=f"measure.{out}")))
            print(f"{name}, {unwinder}: {measured} bytes below the caller's frame at most ({plain} without heapprof)")
            check(measured <= bound, f"{name}, {unwinder}: a call into the allocator used {measured} bytes of stack, "
                  f"more than the {bound} docs/reliability.md states")
print("small_stacks: ok")
