"""heapprof's own allocations do not bias the program's samples. Writing a profile
allocates on the program's thread, as heapprof (not sampled); one that crosses the
sample point must start a fresh interval, or the program's next allocation is
sampled almost surely yet weighted as if sampled by chance. dump_then_malloc writes a
profile and then allocates 16 bytes, 400 times, at rate 4096: the site holds 6,400
bytes (it showed ~1.4 MB).

A 16-byte allocation is sampled with probability p = 1 - exp(-16/4096), and each
sample stands for 16/p bytes: the estimate of 400 is a binomial count (mean 1.56
samples) times 4,104 bytes, with a standard deviation of 5,100 bytes. The bound is
the truth plus 5 of them; with fixed seeds the outcome is deterministic."""
import math
from harness import *

RATE, SIZE, ROUNDS = 4096, 16, 400
TRUTH = SIZE * ROUNDS
p = 1 - math.exp(-SIZE / RATE)
BOUND = TRUTH + 5 * math.sqrt(ROUNDS * p * (1 - p)) * SIZE / p

for seed in ("1", "2", "3"):
    with scratch_dir() as directory:
        same_behaviour([program("dump_then_malloc")], cwd=directory,
                       env={"HEAPPROF_RATE": str(RATE), "HEAPPROF_SEED": seed, "HEAPPROF_OUT": "final.pb.gz"})
        final = os.path.join(directory, "final.pb.gz")
        estimate = top(final, "alloc_space").get("after_dump", (0, 0))[0]
        print(f"seed {seed}: after_dump estimated at {estimate} bytes (truth {TRUTH}, bound {BOUND:.0f})")
        check(estimate <= BOUND, f"seed {seed}: after_dump estimated at {estimate} bytes, {TRUTH} allocated")
        check_readable(final, "main")
print("own_allocations: ok")
