"""heapprof's threads never keep a process alive. When the initial thread ends without
ending the process (pthread_exit, thrd_exit, or in a fork child a return from the start
routine of the thread that forked), glibc ends the process when its last thread ends:
with the dump thread or the endpoint's thread running, that had never come, and the
process hung. Now heapprof's threads leave once they are all that is left, and the
process ends as without heapprof: status 0, the atexit handlers, and the final
profile, with exact counts at rate 1 (docs/design.md, "heapprof's threads")."""
from harness import *

SITE = "last_thread_work"
EXPECTED = {SITE: dict(alloc_objects=200, alloc_space=2000000, inuse_objects=200, inuse_space=2000000)}
CASES = [
    ("worker", {"HEAPPROF_DUMP_INTERVAL": "1M"}),
    ("initial", {"HEAPPROF_DUMP_SIGNAL": "SIGUSR2"}),
    ("worker", {"HEAPPROF_HTTP": "127.0.0.1:0"}),
    ("thrd", {"HEAPPROF_DUMP_INTERVAL": "1M", "HEAPPROF_HTTP": "127.0.0.1:0"}),
    ("fork-child", {"HEAPPROF_DUMP_SIGNAL": "SIGUSR2"}),
    ("fork-child", {"HEAPPROF_DUMP_INTERVAL": "1M", "HEAPPROF_HTTP": "127.0.0.1:0"}),
]

with scratch_dir() as directory:
    for number, (mode, settings) in enumerate(CASES):
        name = f"{number}.{mode}"
        env = dict(settings, HEAPPROF_RATE="1", HEAPPROF_OUT=f"{name}.%p.pb.gz")
        try:
            result = same_behaviour([program("last_thread"), mode], cwd=directory, env=env, timeout=30)
        except subprocess.TimeoutExpired:
            fail(f"{name} {settings}: the process did not end within 30 s")
        check(result.returncode == 0, f"{name}: exit status {result.returncode}")
        check("atexit handler" in result.stdout, f"{name}: no atexit handler ran:\n{result.stdout}")
        profiles = profiles_in(directory, f"{name}.*.pb.gz")
        if mode == "fork-child":
            # The parent's and the child's, which alone allocated at the site.
            check(len(profiles) == 2, f"{name}: profiles {profiles}")
            counts = sorted(top(profile, "alloc_objects").get(SITE, (0, 0))[0] for profile in profiles)
            check(counts == [0, 200], f"{name}: {SITE} alloc_objects {counts}, expected 0 and 200")
            profiles = [profile for profile in profiles if top(profile, "alloc_objects").get(SITE)]
        check(len(profiles) == 1, f"{name}: profiles {profiles}")
        check_exact(profiles[0], EXPECTED)
        print(f"{name} {settings}: ended with status 0")
print("last_thread: ok")
