"""fork in threaded programs. The child of a fork has only the thread that forked;
glibc gives the stacks and TLS of the others to the child's new threads. heapprof's
thread registry must then list the forking thread alone, with the others' counts kept
in the totals, or a new thread's state is linked in where a dead one's still is and
the list loops: the child hangs at its next fork or heapprof_read_stats.

- forking_threads: four live threads when the process forks; in the child four new
  threads allocate, then the child forks again (prefork servers, Python's fork start
  method). At rate 1 the totals heapprof_read_stats gives stay exact across the fork
  and grow by what the child's threads did.
- early_thread_host: a library constructor starts, and joins, a thread that frees
  memory before heapprof's constructor has run; then the process forks while a thread
  on that thread's stack is alive."""
from harness import *

CHILD_ALLOCATIONS = 4 * 500
HANG_SECONDS = 60


def bounded_same_behaviour(argv, env, cwd):
    plain = run(argv, preload=False, env=env, cwd=cwd)
    try:
        profiled = run(argv, env=env, cwd=cwd, timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        fail(f"{os.path.basename(argv[0])} hung under heapprof")
    check(plain.returncode == profiled.returncode and plain.stdout == profiled.stdout,
          f"{argv[0]}: status {profiled.returncode}, stdout {profiled.stdout!r} under heapprof; "
          f"{plain.returncode}, {plain.stdout!r} without\n{profiled.stderr}")
    return profiled


def totals(stderr):
    """{moment: (alloc_objects, free_objects, alloc_bytes)} from the "totals" lines."""
    return {fields[1]: tuple(map(int, fields[2:])) for fields in map(str.split, stderr.splitlines())
            if fields and fields[0] == "totals"}


with scratch_dir() as directory:
    result = bounded_same_behaviour([program("forking_threads")], cwd=directory,
                                    env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "threads.%p.pb.gz"})
    seen = totals(result.stderr)
    print(seen)
    check(seen["after-fork"] == seen["before-fork"],
          f"the child's totals differ from the parent's at the fork: {seen}")
    for later, earlier, allocations in (("child-threads", "after-fork", CHILD_ALLOCATIONS),
                                        ("grandchild", "child-threads", 500)):
        check(seen[later][0] >= seen[earlier][0] + allocations and seen[later][1] >= seen[earlier][1] + allocations,
              f"{later}: the totals lost counts: {seen}")
    profiles = profiles_in(directory)
    check(len(profiles) == 3, f"expected a profile from each of 3 processes: {os.listdir(directory)}")
    child_work = sorted(top(profile, "alloc_objects").get("child_thread_work", (0, 0))[0] for profile in profiles)
    check(child_work == [0, CHILD_ALLOCATIONS, CHILD_ALLOCATIONS + 500],
          f"child_thread_work in the three profiles: {child_work}")
    for profile in profiles:
        check_readable(profile, "parent_thread_work")

with scratch_dir() as directory:
    result = bounded_same_behaviour([program("early_thread_host")], cwd=directory,
                                    env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "early.%p.pb.gz"})
    check(result.stdout.startswith("early thread ran: 1\n"), result.stdout)
    check(len(profiles_in(directory)) == 3, f"expected 3 profiles: {os.listdir(directory)}")
print("fork_threads: ok")
