"""200 forks from a thread while four others allocate; half of the children exec.
The same output as without heapprof; every child exits cleanly and leaves a readable
profile, named by its pid; no deadlock. The program keeps each child unreaped until
the last has ended, so that no two of them have the same pid even where the system
reuses pids quickly: one profile per process."""
from harness import *

FORKS = 200
with scratch_dir() as directory:
    result = same_behaviour([program("fork_storm"), str(FORKS)], cwd=directory, timeout=300,
                            env={"HEAPPROF_RATE": "4096", "HEAPPROF_OUT": "storm.%p.pb.gz", "HEAPPROF_PEAK": "0"})
    check(result.returncode == 0 and result.stdout == f"children {FORKS} clean {FORKS}\n",
          f"status {result.returncode}: {result.stdout} {result.stderr}")
    profiles = profiles_in(directory)
    check(len(profiles) == FORKS + 1, f"expected {FORKS + 1} profiles (parent and every child), got {len(profiles)}")
    for profile in profiles[:: max(1, len(profiles) // 20)]:
        pprof(profile, "-top")
print("fork_storm: ok")
