"""A fork while another thread holds the lock of the peak snapshot (docs/reliability.md,
"Cases decided"): fork_at_peak stops a thread that is taking the snapshot as it
exits, lock held, and forks meanwhile, three times; each child exits normally and
must write its final and peak profiles. Before the fork's prepare handler took the
lock, every child inherited it held and hung at its exit, writing the peak profile."""
from harness import *

ROUNDS = 3
with scratch_dir() as directory:
    result = run([program("fork_at_peak"), str(ROUNDS)], cwd=directory, timeout=300,
                 env={"HEAPPROF_RATE": "1", "HEAPPROF_PEAK": "1", "HEAPPROF_OUT": "peak.%p.pb.gz"})
    check(result.returncode == 0 and result.stdout == f"rounds {ROUNDS}, children exited {ROUNDS}, hung 0\n",
          f"status {result.returncode}: {result.stdout} {result.stderr}")
    profiles = profiles_in(directory)
    peaks = glob.glob(os.path.join(directory, "*.peak.pb.gz"))
    check(len(profiles) == ROUNDS + 1 and len(peaks) == ROUNDS + 1,
          f"expected {ROUNDS + 1} final and peak profiles (the parent's and each child's): {profiles} {peaks}")
    for profile in profiles + peaks:
        pprof(profile, "-top")
print("fork_at_peak: ok")
