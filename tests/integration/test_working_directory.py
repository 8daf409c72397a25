"""A relative HEAPPROF_OUT (the default among them) names a file in the directory the
program started in, whatever the program does to its working directory before it
exits: a daemon's chdir into a directory where nothing can be created (/proc), a
directory removed or renamed meanwhile, descriptors closed and their numbers reused,
fork. exec starts afresh, in the working directory of the new image."""
from harness import *

SITE = {"wanderer_work": dict(alloc_objects=40, alloc_space=100000, inuse_objects=40, inuse_space=100000)}


def wander(directory, *arguments, out=None):
    env = {"HEAPPROF_RATE": "1"}
    if out:
        env["HEAPPROF_OUT"] = out
    result = same_behaviour([program("wanderer"), *arguments], cwd=directory, env=env)
    check(result.returncode == 0, f"wanderer {' '.join(arguments)}: {result.returncode} {result.stderr}")
    check(not heapprof_lines(result.stderr), f"wanderer {' '.join(arguments)}: {heapprof_lines(result.stderr)}")
    return result


def check_profiles(directory, count, pattern="heapprof.wanderer.*.pb.gz", what=""):
    written = profiles_in(directory, pattern)
    check(len(written) == count, f"{what}: expected {count} profiles in {directory}, found {os.listdir(directory)}")
    for profile in written:
        check_exact(profile, SITE)
    return written


with scratch_dir() as scratch:
    elsewhere = os.path.join(scratch, "elsewhere")
    os.mkdir(elsewhere)
    cases = [(("chdir", "/proc"), None), (("chdir", elsewhere), None), (("removed",), None), (("daemon",), None),
             (("chdir", "/proc"), "out/heap.%p.pb.gz"), (("daemon",), "out/heap.%p.pb.gz")]
    for number, (arguments, out) in enumerate(cases):
        start = os.path.join(scratch, f"start{number}")
        os.makedirs(os.path.join(start, "out"))
        wander(start, *arguments, out=out)
        if out:
            check_profiles(os.path.join(start, "out"), 1, "heap.*.pb.gz", f"{arguments} {out}")
        else:
            check_profiles(start, 1, what=str(arguments))
    check(not os.listdir(elsewhere), f"profiles went to the directory changed into: {os.listdir(elsewhere)}")

    # The directory itself renamed: the profile follows it. Each run renames its own.
    runs = []
    for preload in (False, True):
        start = os.path.join(scratch, f"renamed-{preload}")
        os.mkdir(start)
        runs.append(run([program("wanderer"), "renamed", start], preload=preload, cwd=start,
                        env={"HEAPPROF_RATE": "1"}))
        check(not os.path.exists(start), "the program did not rename its directory")
    check(runs[0].returncode == runs[1].returncode == 0 and runs[0].stdout == runs[1].stdout,
          f"renamed: {runs[1].returncode} {runs[1].stdout!r} under heapprof, {runs[0].stdout!r} without")
    check(not heapprof_lines(runs[1].stderr), f"renamed: {runs[1].stderr}")
    check_profiles(start + ".moved", 1, what="renamed")

    # Both sides of a fork write where the process started.
    start = os.path.join(scratch, "fork")
    os.mkdir(start)
    wander(start, "fork")
    check_profiles(start, 2, what="fork")

    # exec starts afresh: the new image's profile goes where it started.
    start = os.path.join(scratch, "exec")
    target = os.path.join(scratch, "exec-target")
    os.mkdir(start)
    os.mkdir(target)
    wander(start, "exec", target)
    check_profiles(start, 0, what="exec, before")
    check_profiles(target, 1, what="exec, after")

    leftovers = [os.path.join(root, name) for root, _, names in os.walk(scratch) for name in names
                 if ".tmp." in name]
    check(not leftovers, f"temporary files left behind: {leftovers}")
print("working_directory: ok")
