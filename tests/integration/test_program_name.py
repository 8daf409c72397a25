"""%e is the program's name as it started, even when the program rewrites argv[0]
with a status line as postgres and nginx do (setproctitle): the rewritten text holds
slashes, and naming the profile after it lost the profile. The profile's comment names
the process the same way, with its pid."""
from harness import *

with scratch_dir() as directory:
    result = same_behaviour([program("retitle"), "--some", "arguments"], cwd=directory,
                            env={"HEAPPROF_RATE": "1"})
    check(not heapprof_lines(result.stderr), f"heapprof complained: {result.stderr}")
    written = profiles_in(directory)
    named = re.search(r"/heapprof\.retitle\.(\d+)\.pb\.gz$", written[0]) if len(written) == 1 else None
    check(named, f"expected heapprof.retitle.<pid>.pb.gz, found {os.listdir(directory)}")
    check(pprof(written[0], "-comments") == f"Process: retitle, pid {named.group(1)}\n",
          f"the comment: {pprof(written[0], '-comments')!r}")
    check_exact(written[0], {"retitle_work": dict(alloc_objects=50, alloc_space=150000, inuse_objects=50,
                                                  inuse_space=150000)})
print("program_name: ok")
