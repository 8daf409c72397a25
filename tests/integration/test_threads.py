"""16 threads allocate from one site and free each other's blocks: same output as
without heapprof; at rate 1 the exact totals for the site, and at sampled rates
estimates within 4.5 standard deviations of them, both ways.

A thread never waits for another thread's sample or free: while one thread's sample
holds the lock it takes first (held_sample holds it for up to 10 s), another samples
the same stack and frees the first thread's sampled blocks; while one thread's free
holds its block's shard of the live table, another frees blocks of the same shard.
Before each thread sampled into a shard of its own, and before a free queued itself
for a shard's holder, the other thread waited out the hold.

Nor does it wait for a profile being built: while the endpoint answers a request,
every lock its thread takes is held until a thread allocating and freeing at rate 1
has got through 200 more operations (held_request). Before the request copied the
live table without its shards' locks, the allocating thread waited out the hold
(10 s)."""
from harness import *

SIZE = 96  # threads.c's BLOCK_SIZE

with scratch_dir() as directory:
    for rate in ("1", "524288", "4096"):
        out = f"threads.{rate}.pb.gz"
        result = same_behaviour([program("threads")], cwd=directory,
                                env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": out})
        profile = os.path.join(directory, out)
        check_readable(profile, "thread_work")
        expected = expected_rows(result.stdout)
        if rate == "1":
            check_exact(profile, expected)
            continue
        truth = expected["thread_work"]
        for sample_type, objects in (("alloc_space", "alloc_objects"), ("inuse_space", "inuse_objects")):
            estimate = top(profile, sample_type).get("thread_work", (0, 0))[0]
            sd = relative_sd(truth[objects], SIZE, int(rate)) * truth[sample_type]
            check_near(estimate, truth[sample_type], sd, 4.5, f"rate {rate}: thread_work {sample_type}")
BLOCKS = sum(range(100, 1100))  # held_sample's BLOCKS blocks from FIRST_SIZE on
for mode, allocated, allocated_space in (("sample", 2001, 2 * BLOCKS + 5000), ("free", 1000, BLOCKS)):
    with scratch_dir() as directory:
        result = same_behaviour([program("held_sample"), mode], cwd=directory,
                                env={"HEAPPROF_RATE": "1", "HEAPPROF_UNWIND": "fp", "HEAPPROF_OUT": "held.pb.gz"})
        kept = re.fullmatch(r"(\d+) blocks of (\d+) bytes kept, not held up\n", result.stdout)
        check(kept, f"{mode}: {result.stdout!r}")
        check_exact(os.path.join(directory, "held.pb.gz"),
                    {"churn": dict(alloc_objects=allocated, alloc_space=allocated_space,
                                   inuse_objects=int(kept[1]), inuse_space=int(kept[2]))})
with scratch_dir() as directory:
    socket_path = os.path.join(directory, "heapprof.sock")
    result = run([program("held_request"), socket_path], cwd=directory,
                 env={"HEAPPROF_RATE": "1", "HEAPPROF_HTTP": "unix:" + socket_path, "HEAPPROF_OUT": "request.pb.gz"})
    check(result.returncode == 0 and result.stdout == "answered, not held up\n",
          f"request: status {result.returncode}: {result.stdout!r} {result.stderr!r}")
print("threads: ok")
