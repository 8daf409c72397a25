"""At a sampled rate the unsampled estimates land near the truth.

Each site allocates 128 MiB in objects of one size S and keeps half live. At rate R
an object is sampled with probability p = 1 - exp(-S/R); with N objects the sample
count is binomial, so the estimate's relative standard deviation is
sqrt((1 - p) / (N p)). At R = 64 KiB that is at most 2.2% for alloc_space (the small
sites expect ~2048 samples) and 3.1% for inuse_space (~1024), so the 10% bound is 4.5
and 3.2 standard deviations; with fixed seeds the outcome is deterministic. The test
checks that the bound stays at least 4 (alloc) and 3 (inuse) standard deviations for
every site, so a change of sizes cannot make it flaky. Objects of 16 times the rate
and more (1 MiB, 16 MiB) are sampled with p > 1 - 1e-6 and must be exact up to
rounding."""
from harness import *

RATE = 64 * 1024
SEEDS = ("1", "7", "42")
BOUND = 0.10
SITES = 6  # estimates.c's sites, 48 B to 16 MiB

with scratch_dir() as directory:
    for seed in SEEDS:
        out = f"estimates.{seed}.pb.gz"
        result = same_behaviour([program("estimates")], cwd=directory,
                                env={"HEAPPROF_RATE": str(RATE), "HEAPPROF_SEED": seed, "HEAPPROF_OUT": out})
        profile = os.path.join(directory, out)
        alloc = top(profile, "alloc_space")
        inuse = top(profile, "inuse_space")
        lines = result.stdout.splitlines()
        check(len(lines) == SITES, f"estimates printed {len(lines)} sites, expected {SITES}: {result.stdout}")
        for line in lines:
            site, size, objects, kept = line.split()
            size, objects, kept = int(size), int(objects), int(kept)
            check(BOUND >= 4 * relative_sd(objects, size, RATE), f"{site}: 10% is under 4 sd")
            check(BOUND >= 3 * relative_sd(kept, size, RATE), f"{site}: 10% is under 3 sd for in-use")
            for label, rows, truth in (("alloc_space", alloc, objects * size), ("inuse_space", inuse, kept * size)):
                estimate = rows.get(site, (0, 0))[0]
                error = abs(estimate - truth) / truth
                print(f"seed {seed} {site:14} {label}: estimate {estimate} truth {truth} error {error:.2%}")
                check(error <= BOUND, f"seed {seed}: {site} {label} off by {error:.1%}")
                if size >= 16 * RATE:
                    check(error < 1e-6, f"{site}: objects far above the rate must be exact")
    check_readable(os.path.join(directory, "estimates.1.pb.gz"), "site_48")
print("estimates: ok")
