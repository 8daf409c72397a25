"""A thread's first use of thread-local data in a library loaded after the thread
started: glibc's __tls_get_addr allocates the block with malloc, and first grows the
thread's table of blocks (its dtv) when many libraries were loaded meanwhile, with
that table half updated. A sample of that allocation keeps only its caller: walked by
libunwind, whose own first use of its thread-local data on the thread grew the same
table under glibc, it made glibc write to the table it had freed: the build of
ff7425d crashed in 5 of these 6 runs (14, 15 and 20 libraries; recording from the
start, or from heapprof_set_rate). Each run must print what it prints without
heapprof."""
import shutil
from harness import *

TLS_HOLDER = os.environ["HEAPPROF_TLS_HOLDER"]

with scratch_dir() as directory:
    copies = []
    for i in range(20):
        copies.append(os.path.join(directory, f"tls_holder_{i}.so"))
        shutil.copy(TLS_HOLDER, copies[-1])
    for count in (14, 15, 20):
        for rate in ("0", "1"):
            out = f"tls.{count}.{rate}.pb.gz"
            result = same_behaviour([program("tls_first_access")] + copies[:count], cwd=directory,
                                    env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": out})
            check(result.stdout == "the thread read back 42\n",
                  f"{count} libraries, rate {rate} at start: {result.stdout}{result.stderr}")
            # The thread's block, sampled with its caller (__tls_get_addr's) alone.
            check("tls_holder_values" not in top(os.path.join(directory, out), "alloc_space"),
                  f"{count} libraries, rate {rate} at start: the loader's allocation was walked")
print("tls_first_access: ok")
