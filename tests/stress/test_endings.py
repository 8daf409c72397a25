"""SIGTERM handled with exit() gives a complete profile; _exit, abort and a crash end
the process promptly, as without heapprof, and leave no profile (docs/reliability.md).
Each ending is compared with the same run without heapprof."""
import signal
from harness import *


def terminated(directory, preload):
    """Runs endings in sigterm mode, sends SIGTERM once it is ready: (stdout, status)."""
    env = dict(os.environ, HEAPPROF_RATE="1", HEAPPROF_OUT="term.pb.gz")
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = LIB
    process = subprocess.Popen([program("endings"), "sigterm"], cwd=directory, env=env,
                               stdout=subprocess.PIPE, text=True)
    ready = process.stdout.readline()
    check(ready == "ready\n", f"no ready line ({'with' if preload else 'without'} heapprof): {ready!r}")
    process.send_signal(signal.SIGTERM)
    status = process.wait(timeout=30)
    return ready + process.stdout.read(), status


with scratch_dir() as directory:
    plain, profiled = terminated(directory, False), terminated(directory, True)
    check(plain == profiled == ("ready\n", 0), f"SIGTERM: {profiled} under heapprof, {plain} without")
    check_exact(os.path.join(directory, "term.pb.gz"),
                {"ending_work": dict(alloc_objects=100, alloc_space=700000, inuse_objects=100, inuse_space=700000)})

    for mode, status in (("_exit", 7), ("abort", -signal.SIGABRT), ("crash", -signal.SIGSEGV)):
        out = f"{mode}.pb.gz"
        result = same_behaviour([program("endings"), mode], cwd=directory,
                                env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": out})
        check(result.returncode == status, f"{mode}: status {result.returncode}")
        check(not os.path.exists(os.path.join(directory, out)), f"{mode} left a profile")
print("endings: ok")
