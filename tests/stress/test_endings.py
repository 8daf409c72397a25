"""SIGTERM handled with exit() gives a complete profile; _exit, abort and a crash end
the process promptly, as without heapprof, and leave no profile (docs/reliability.md)."""
import signal
from harness import *

with scratch_dir() as directory:
    env = dict(os.environ, LD_PRELOAD=LIB, HEAPPROF_RATE="1", HEAPPROF_OUT="term.pb.gz")
    process = subprocess.Popen([program("endings"), "sigterm"], cwd=directory, env=env,
                               stdout=subprocess.PIPE, text=True)
    check(process.stdout.readline() == "ready\n", "no ready line")
    process.send_signal(signal.SIGTERM)
    check(process.wait(timeout=30) == 0, f"status {process.returncode}")
    check_exact(os.path.join(directory, "term.pb.gz"),
                {"ending_work": dict(alloc_objects=100, alloc_space=700000, inuse_objects=100, inuse_space=700000)})

    for mode, status in (("_exit", 7), ("abort", -signal.SIGABRT), ("crash", -signal.SIGSEGV)):
        out = f"{mode}.pb.gz"
        result = same_behaviour([program("endings"), mode], cwd=directory,
                                env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": out})
        check(result.returncode == status, f"{mode}: status {result.returncode}")
        check(not os.path.exists(os.path.join(directory, out)), f"{mode} left a profile")
print("endings: ok")
