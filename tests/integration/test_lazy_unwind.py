"""libunwind (and liblzma behind it) is loaded by the first sample that no lock of the
dynamic loader's holds up, never at start-up: a process that takes no sample never
maps it. A sample taken while this thread holds one of the loader's locks (in a
dl_iterate_phdr callback, in a library's constructor, inside dlopen) or while another
thread does (a constructor that waits for this one) keeps only its caller and does
not wait; the first sample after that loads it, and its stack reaches main. So does
one on an alternate signal stack, whose room heapprof cannot know. A fork child
whose parent had a thread inside dlopen never loads it: glibc gives the child the
loader's lock unheld, over the loader's state as that thread left it. The loader's
own allocations (a thread's first use of a library's thread-local data, which grows
its table of blocks with malloc) keep their caller, and libunwind never runs under
them: its own first use of its thread-local data would grow the same table under
glibc, which then wrote to the table it had freed (with 14 such libraries, the
thread's data was lost; with 15, the program crashed). Before, libunwind was loaded
at start-up in every process whose rate was not 0."""
import re
from harness import *

import shutil

WAITER = os.environ["HEAPPROF_LOADER_WAITER"]
TLS_HOLDER = os.environ["HEAPPROF_TLS_HOLDER"]


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


def profiled(argv, directory, env, out="out.pb.gz"):
    result = run(argv, cwd=directory, env=dict(env, HEAPPROF_OUT=out))
    check(result.returncode == 0, f"{argv} exited {result.returncode}: {result.stderr}")
    check(not heapprof_lines(result.stderr), f"heapprof complained: {result.stderr}")
    return result.stdout, os.path.join(directory, out)


# At the default rate, a few small blocks take no sample (at this seed): no libunwind,
# and the profile is still written and read.
with scratch_dir() as directory:
    stdout, profile = profiled([program("lazy_unwind"), "quiet"], directory, {"HEAPPROF_SEED": "1"})
    check(stdout == "libunwind 0\n", f"quiet: {stdout}")
    pprof(profile, "-top")
    check(top(profile, "alloc_space") == {}, f"quiet: the profile has samples: {top(profile, 'alloc_space')}")

# 4 MiB in 64 KiB blocks: the first sample loads libunwind, with the program's signals
# blocked, and every stack reaches main.
with scratch_dir() as directory:
    stdout, profile = profiled([program("lazy_unwind"), "sampled"], directory, {"HEAPPROF_SEED": "1"})
    check(stdout == "libunwind 1\nsignals blocked during the load 1\n", f"sampled: {stdout}")
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
# The same while this thread forks: the child, whose loader's lock glibc unheld while
# the other thread is still inside dlopen, allocates and never loads libunwind.
with scratch_dir() as directory:
    stdout, _ = profiled([program("lazy_unwind"), "fork_held", WAITER], directory, {"HEAPPROF_RATE": "0"},
                         out="out.%p.pb.gz")
    check(stdout == "libunwind while the loader's lock was held 0\n"
                    "the allocations did not wait for the loader\n"
                    "libunwind in the child 0\n"
                    "libunwind after 1\n", f"fork_held: {stdout}")
    children = [path for path in profiles_in(directory) if "in_child" in top(path, "alloc_space")]
    check(len(children) == 1, f"fork_held: {len(children)} profiles with the child's samples")
    for stack in stacks_of(children[0], "in_child"):
        check(stack == ["in_child"], f"fork_held: a sample in the child has the stack {stack}")

# A handler on an alternate stack inside main's frame takes the first sample: it keeps
# its caller; main's next one loads libunwind.
with scratch_dir() as directory:
    stdout, profile = profiled([program("lazy_unwind"), "altstack"], directory, {"HEAPPROF_RATE": "0"})
    check(stdout == "libunwind in the handler 0\nlibunwind after 1\n", f"altstack: {stdout}")
    for stack in stacks_of(profile, "in_handler"):
        check(stack == ["in_handler"], f"altstack: a sample in the handler has the stack {stack}")
    for stack in stacks_of(profile, "after_loading"):
        check("main" in stack, f"altstack: a sample after loading has the stack {stack}")

# A thread's first use of thread-local data in the last of many libraries loaded
# after it started, sampled at rate 1 (turned on then, or from the start).
with scratch_dir() as directory:
    copies = []
    for i in range(20):
        copies.append(os.path.join(directory, f"tls_holder_{i}.so"))
        shutil.copy(TLS_HOLDER, copies[-1])
    for count in (14, 15, 20):
        for rate in ("0", "1"):
            result = same_behaviour([program("tls_first_access")] + copies[:count], cwd=directory,
                                    env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": f"tls.{count}.{rate}.pb.gz"})
            check(result.stdout == "the thread read back 42\n",
                  f"{count} libraries, rate {rate} at start: {result.stdout}{result.stderr}")
print("lazy_unwind: ok")
