"""The profile is complete however the process ends normally: return from main,
exit(), or exit() from another thread while the main thread is allocating."""
from harness import *

EXPECTED = {"exit_path_work": dict(alloc_objects=100, alloc_space=500000, inuse_objects=100,
                                   inuse_space=500000)}

with scratch_dir() as directory:
    for mode, status in (("return", 5), ("exit", 4), ("thread", 3)):
        out = f"exit.{mode}.pb.gz"
        result = same_behaviour([program("exit_paths"), mode], cwd=directory,
                                env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": out})
        check(result.returncode == status, f"{mode}: exit status {result.returncode}")
        profile = os.path.join(directory, out)
        check_exact(profile, EXPECTED)
        check_readable(profile, "exit_path_work")
print("exit_paths: ok")
