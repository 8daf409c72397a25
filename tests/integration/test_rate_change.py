"""heapprof_set_rate while sampled blocks are live: each sample keeps the weight it
was taken with. 64 MiB live sampled at 512 KiB, then set_rate(1) and 16 more blocks
of the same site, then every block freed: the in-use estimate (heapprof_read_stats
and the profile) is the 64 MiB while the blocks live and nothing once they are freed,
and the profile's alloc_space stays 64 MiB. Before, frees subtracted weights worked
out at the new rate (the estimate stayed near 64 MB after everything was freed) and
profiles unsampled every sample at the rate in force when written (the live blocks
showed as ~2 MB). The site's samples at each rate are separate pprof Samples with the
same stack and size, which go tool pprof adds up: heapprof top must print what it
prints.

At 512 KiB, 64 MiB in 16 KiB blocks gives ~128 samples: a relative standard deviation
of 8.7%, so a 40% bound is 4.6 of them; with fixed seeds the outcome is deterministic."""
import math
from harness import *

RATE = 512 * 1024
BLOCK, BLOCKS, BLOCKS_AT_RATE_ONE = 16 * 1024, 4096, 16
TRUTH = BLOCK * (BLOCKS + BLOCKS_AT_RATE_ONE)
CLI = os.path.join(os.environ["HEAPPROF_BUILD_ROOT"], "tools", "heapprof")
BOUND = 0.40

p = 1 - math.exp(-BLOCK / RATE)
check(BOUND >= 4.5 * math.sqrt((1 - p) / (BLOCKS * p)), "the bound is under 4.5 standard deviations")


def same_top_as_pprof(profile):
    for sample_type in SAMPLE_TYPES:
        ours = subprocess.run([CLI, "top", "-sample_index=" + sample_type, profile], capture_output=True,
                              text=True, env=dict(os.environ, TZ="UTC"))
        check(ours.stdout == pprof(profile, "-top", "-sample_index=" + sample_type),
              f"{profile}: heapprof top -sample_index={sample_type} differs from go tool pprof:\n{ours.stdout}{ours.stderr}")


def near_truth(value, what):
    error = abs(value - TRUTH) / TRUTH
    print(f"{what}: {value} (truth {TRUTH}, error {error:.1%})")
    check(error <= BOUND, f"{what} is {value}, {error:.0%} off the {TRUTH} live")


for seed in ("1", "2", "3"):
    with scratch_dir() as directory:
        result = same_behaviour([program("rate_change")], cwd=directory,
                                env={"HEAPPROF_RATE": str(RATE), "HEAPPROF_SEED": seed, "HEAPPROF_OUT": "final.pb.gz"})
        inuse = {fields[1]: int(fields[2]) for fields in map(str.split, result.stderr.splitlines())
                 if fields and fields[0] == "inuse"}
        near_truth(inuse["allocated"], f"seed {seed}: estimate with the blocks live")
        near_truth(inuse["rate-changed"], f"seed {seed}: estimate after set_rate(1)")
        check(inuse["freed"] < 1 << 20, f"seed {seed}: {inuse['freed']} bytes still in use after every block was freed")
        live = os.path.join(directory, "live.pb.gz")
        final = os.path.join(directory, "final.pb.gz")
        near_truth(top(live, "inuse_space").get("live_block", (0, 0))[0], f"seed {seed}: live.pb.gz inuse_space")
        check(top(final, "inuse_space").get("live_block", (0, 0))[0] == 0, f"seed {seed}: live_block in use at exit")
        near_truth(top(final, "alloc_space").get("live_block", (0, 0))[0], f"seed {seed}: alloc_space at exit")
        check_readable(final, "live_block")
        same_top_as_pprof(live)
        same_top_as_pprof(final)
# Started at rate 0, the process maps no libunwind (nor liblzma behind it) until
# heapprof_set_rate turns recording on; the call itself loads it, before the next
# allocation, and the blocks allocated at rate 1 keep their stacks.
with scratch_dir() as directory:
    result = same_behaviour([program("rate_change")], cwd=directory,
                            env={"HEAPPROF_RATE": "0", "HEAPPROF_OUT": "final.pb.gz"})
    mapped = {fields[1]: fields[2] for fields in map(str.split, result.stderr.splitlines())
              if fields and fields[0] == "libunwind"}
    check(mapped == {"allocated": "0", "rate-changed": "1", "freed": "1"},
          f"libunwind mapped at each step, started at rate 0: {mapped}")
    final = os.path.join(directory, "final.pb.gz")
    at_rate_one = BLOCK * BLOCKS_AT_RATE_ONE
    alloc_space = top(final, "alloc_space").get("live_block", (0, 0))[0]
    check(alloc_space == at_rate_one, f"started at rate 0: live_block allocated {alloc_space}, not {at_rate_one}")
    check(top(final, "alloc_space").get("main", (0, 0))[1] >= at_rate_one,
          "started at rate 0: live_block's samples have no stack down to main")
print("rate_change: ok")
