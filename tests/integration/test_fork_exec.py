"""fork without exec and fork+exec: each process writes its own profile with its own
allocations, and the parent's profile stays intact, also where a child's profile
would take its name. A process that execs itself keeps its pid: the image after the
exec replaces the profiles the earlier image wrote (marked with the process's pid and
start time, where the file system keeps extended attributes), as the earlier image's
later dumps would have; it said "a file that heapprof did not write is in the way"
before."""
from harness import *

with scratch_dir() as directory:
    result = same_behaviour([program("forks")], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "forks.%p.pb.gz"})
    pids = result.stderr.split("pids ")[1].split()
    parent, forked, exec_child = (os.path.join(directory, f"forks.{pid}.pb.gz") for pid in pids)
    for profile in (parent, forked, exec_child):
        check(os.path.exists(profile), f"missing {profile}; have {os.listdir(directory)}")
    check(len(profiles_in(directory)) == 3, f"expected 3 profiles, have {os.listdir(directory)}")

    def functions(profile):
        return set(top(profile, "alloc_objects"))

    parent_functions = functions(parent)
    check("parent_work" in parent_functions and "forked_child_work" not in parent_functions,
          f"parent profile: {sorted(parent_functions)}")
    check_exact(parent, {"parent_work": dict(alloc_objects=1000, alloc_space=1000 * 1000,
                                             inuse_objects=1000, inuse_space=1000 * 1000)})
    # The forked child inherits the parent's heap and adds its own work.
    check_exact(forked, {"forked_child_work": dict(alloc_objects=1000, alloc_space=2000 * 1000,
                                                   inuse_objects=1000, inuse_space=2000 * 1000)})
    exec_functions = functions(exec_child)
    check("exec_child_work" in exec_functions and "parent_work" not in exec_functions,
          f"exec'd child profile: {sorted(exec_functions)}")
    for profile, name in ((parent, "parent_work"), (forked, "forked_child_work"), (exec_child, "exec_child_work")):
        check_readable(profile, name)

with scratch_dir() as directory:
    # Without %p every process names its profile alike. The parent writes one before it
    # forks; its children know heapprof did not write it for them, and leave it alone.
    result = same_behaviour([program("forks"), "written-first"], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "shared.pb.gz"})
    lines = heapprof_lines(result.stderr)
    check(len(lines) == 2 and all("a file that heapprof did not write is in the way" in line for line in lines),
          f"each child's profile should be refused: {lines}")
    shared = os.path.join(directory, "shared.pb.gz")
    check(profiles_in(directory) == [shared], f"profiles: {os.listdir(directory)}")
    functions = set(top(shared, "alloc_objects"))
    check("parent_work" in functions and not {"forked_child_work", "exec_child_work"} & functions,
          f"shared.pb.gz is not the parent's: {sorted(functions)}")
with scratch_dir() as directory:
    try:
        probe = os.path.join(directory, "probe")
        open(probe, "w").close()
        os.setxattr(probe, "user.heapprof.probe", b"1")
        marks = True
    except OSError:
        marks = False
    result = same_behaviour([program("reexec")], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_DUMP_INTERVAL": "1M", "HEAPPROF_OUT": "re.%p.pb.gz"})
    lines = heapprof_lines(result.stderr)
    profiles = profiles_in(directory, "re.*.pb.gz")
    check(len(profiles) == 1, f"profiles: {os.listdir(directory)}")
    if marks:
        check(not lines, f"the image after exec refused its own process's profile: {lines}")
        check_exact(profiles[0], {"after_exec_work": dict(alloc_objects=1000, alloc_space=3000 * 1000,
                                                          inuse_objects=1000, inuse_space=3000 * 1000)})
        check("before_exec_work" not in set(top(profiles[0], "alloc_objects")), "the earlier image's profile")
    else:
        check(lines and all("a file that heapprof did not write is in the way" in line for line in lines),
              f"without extended attributes the earlier image's profile stays: {lines}")
print("fork_exec: ok")
