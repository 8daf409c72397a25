"""A profile asked for on a thread with a small stack is written on heapprof's own
stack (docs/design.md, "Writing the profile"): exit() from a 16 KiB thread, exit()
from a 64 KiB thread with 40 KiB of it in use, the process ended by glibc when its
last thread, a 16 KiB one, returns after the initial thread called pthread_exit, and
heapprof_write_profile from a 16 KiB thread. Symbolizing alone (libdw) took more than
such threads had: each crashed with SIGSEGV before.

heapprof's signal handlers run on the thread's alternate stack where it has one: the
dump signal and SIGTERM raised on a 16 KiB thread with 1 KiB of its own stack left,
where their frames had overflowed it."""
import signal

from harness import *

SITE = "small_stack_work"
EXPECTED = {SITE: dict(alloc_objects=20, alloc_space=sum(1000 + i for i in range(20)), inuse_objects=20,
                       inuse_space=sum(1000 + i for i in range(20)))}

with scratch_dir() as directory:
    for mode, status in (("exit", 7), ("used-exit", 7), ("last", 0), ("write", 0), ("signal", 0),
                         ("term", -signal.SIGTERM)):
        out = f"{mode}.pb.gz"
        written = os.path.join(directory, f"{mode}.written.pb.gz")
        settings = {"HEAPPROF_RATE": "1", "HEAPPROF_OUT": out}
        if mode == "signal":
            settings["HEAPPROF_DUMP_SIGNAL"] = "SIGUSR2"
        result = same_behaviour([program("small_stack_exits"), mode, written], cwd=directory, env=settings)
        check(result.returncode == status, f"{mode}: exit status {result.returncode}, expected {status}")
        check(not heapprof_lines(result.stderr), f"{mode}: {result.stderr}")
        profiles = [os.path.join(directory, out)] + ([written] if mode == "write" else [])
        for profile in profiles:
            check(os.path.exists(profile), f"{mode}: no profile at {profile}")
            check_exact(profile, EXPECTED)
            check_readable(profile, SITE)
print("small_stack_dumps: ok")
