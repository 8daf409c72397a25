"""libunwind (and liblzma behind it) is loaded by the first sample that no lock of the
dynamic loader's holds up, never at start-up: a process that takes no sample never
maps it. A sample taken while this thread holds one of the loader's locks (in a
dl_iterate_phdr callback, in a library's constructor, inside dlopen) or while another
thread does (a constructor that waits for this one) keeps only its caller and does
not wait; the first sample after that loads it, and its stack reaches main. Before,
libunwind was loaded at start-up in every process whose rate was not 0."""
import re
from harness import *

WAITER = os.environ["HEAPPROF_LOADER_WAITER"]


def traces(profile):
    """Each sample's functions, innermost first, from go tool pprof -traces."""
    samples = []
    for block in pprof(profile, "-traces", "-sample_index=alloc_objects").split("-----------+")[1:]:
        lines = [line for line in block.splitlines()[1:]
                 if line.strip() and not re.match(r"^\s*[a-z_]+:\s", line)]
        samples.append([line.split()[-1] for line in lines])
    return samples


def stacks_of(profile, site):
    found = [stack for stack in traces(profile) if stack and stack[0] == site]
    check(found, f"{profile}: no sample at {site}")
    return found


def profiled(argv, directory, env):
    result = run(argv, cwd=directory, env=dict(env, HEAPPROF_OUT="out.pb.gz"))
    check(result.returncode == 0, f"{argv} exited {result.returncode}: {result.stderr}")
    check(not heapprof_lines(result.stderr), f"heapprof complained: {result.stderr}")
    return result.stdout, os.path.join(directory, "out.pb.gz")


# At the default rate, a few small blocks take no sample (at this seed): no libunwind,
# and the profile is still written and read.
with scratch_dir() as directory:
    stdout, profile = profiled([program("lazy_unwind"), "quiet"], directory, {"HEAPPROF_SEED": "1"})
    check(stdout == "libunwind 0\n", f"quiet: {stdout}")
    pprof(profile, "-top")
    check(top(profile, "alloc_space") == {}, f"quiet: the profile has samples: {top(profile, 'alloc_space')}")

# 4 MiB in 64 KiB blocks: the first sample loads libunwind, and every stack reaches main.
with scratch_dir() as directory:
    stdout, profile = profiled([program("lazy_unwind"), "sampled"], directory, {"HEAPPROF_SEED": "1"})
    check(stdout == "libunwind 1\n", f"sampled: {stdout}")
    for stack in stacks_of(profile, "large_blocks"):
        check("main" in stack, f"sampled: a stack without main: {stack}")

# Another thread holds the loader's lock in a constructor that waits for this thread's
# allocations: they do not wait, keep only their caller, and leave libunwind unloaded;
# once the lock is free, the next sample loads it.
with scratch_dir() as directory:
    stdout, profile = profiled([program("lazy_unwind"), "held", WAITER], directory, {"HEAPPROF_RATE": "0"})
    check(stdout == "libunwind while the loader's lock was held 0\n"
                    "the allocations did not wait for the loader\n"
                    "libunwind after 1\n", f"held: {stdout}")
    for stack in stacks_of(profile, "while_held"):
        check(stack == ["while_held"], f"held: a sample while the lock was held has the stack {stack}")
    for stack in stacks_of(profile, "after_held"):
        check("main" in stack, f"held: a sample after the lock was freed has the stack {stack}")
    check_exact(profile, {site: dict(alloc_objects=16, alloc_space=16 * size, inuse_objects=16,
                                     inuse_space=16 * size)
                          for site, size in (("while_held", 3001), ("after_held", 3002))})

# This thread holds the loader's locks: in a dl_iterate_phdr callback (the list's lock),
# in a constructor (the objects' lock, and inside dlopen itself).
with scratch_dir() as directory:
    stdout, profile = profiled([program("lazy_unwind"), "inside", WAITER], directory, {"HEAPPROF_RATE": "0"})
    check(stdout == "libunwind in dl_iterate_phdr 0\nlibunwind in the constructor 0\nlibunwind after 1\n",
          f"inside: {stdout}")
    for site in ("in_iterate", "in_constructor"):
        for stack in stacks_of(profile, site):
            check(stack == [site], f"inside: a sample at {site} has the stack {stack}")
    for stack in stacks_of(profile, "after_loading"):
        check("main" in stack, f"inside: a sample after loading has the stack {stack}")
print("lazy_unwind: ok")
