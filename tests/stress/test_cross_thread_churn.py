"""64 threads allocating and freeing across threads, 100,000 blocks each, at rate 1
and at the default rate: no deadlock (the run is bounded by a timeout), no crash,
the same output as without heapprof, and a readable profile with the exact totals
at rate 1, and at the default rate an estimate within 4.5 standard deviations of
them, both ways."""
from harness import *

with scratch_dir() as directory:
    for rate in ("1", "524288"):
        out = f"churn.{rate}.pb.gz"
        result = same_behaviour([program("cross_thread_churn"), "64", "100000"], cwd=directory,
                                env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": out}, timeout=600)
        profile = os.path.join(directory, out)
        expected = expected_rows(result.stdout)
        check(list(expected) == ["churn_block"], f"rate {rate}: unexpected output {result.stdout!r}")
        if rate == "1":
            check_exact(profile, expected)
        else:
            truth = expected["churn_block"]["alloc_space"]
            estimate = top(profile, "alloc_space").get("churn_block", (0, 0))[0]
            check_near(estimate, truth, mixed_sizes_sd(truth, int(rate)), 4.5, f"rate {rate}: churn_block")
        check_readable(profile, "churn_block")
print("cross_thread_churn: ok")
