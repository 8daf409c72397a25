"""16 threads allocate from one site and free each other's blocks: same output as
without heapprof, and at rate 1 the exact totals for the site."""
from harness import *

with scratch_dir() as directory:
    for rate in ("1", "524288", "4096"):
        out = f"threads.{rate}.pb.gz"
        result = same_behaviour([program("threads")], cwd=directory,
                                env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": out})
        profile = os.path.join(directory, out)
        check_readable(profile, "thread_work")
        if rate == "1":
            check_exact(profile, expected_rows(result.stdout))
print("threads: ok")
