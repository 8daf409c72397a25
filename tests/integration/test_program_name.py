"""%e is the program's name as it started, even when the program rewrites argv[0]
with a status line as postgres and nginx do (setproctitle): the rewritten text holds
slashes, and naming the profile after it lost the profile."""
from harness import *

with scratch_dir() as directory:
    result = same_behaviour([program("retitle"), "--some", "arguments"], cwd=directory,
                            env={"HEAPPROF_RATE": "1"})
    check(not heapprof_lines(result.stderr), f"heapprof complained: {result.stderr}")
    written = profiles_in(directory)
    check(len(written) == 1 and re.search(r"/heapprof\.retitle\.\d+\.pb\.gz$", written[0]),
          f"expected heapprof.retitle.<pid>.pb.gz, found {os.listdir(directory)}")
    check_exact(written[0], {"retitle_work": dict(alloc_objects=50, alloc_space=150000, inuse_objects=50,
                                                  inuse_space=150000)})
print("program_name: ok")
