"""heapprof forwards to whichever allocator comes next in lookup order: with jemalloc
or tcmalloc preloaded behind it, programs behave as under that allocator alone and
the counts at rate 1 are exact."""
from harness import *

ALLOCATORS = ["/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
              "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"]

with scratch_dir() as directory:
    for allocator in ALLOCATORS:
        check(os.path.exists(allocator), f"{allocator} is not installed (scripts/test.sh installs it)")
        name = os.path.basename(allocator).split(".")[0]
        skip = {"FAMILY_SKIP_PVALLOC": "1"} if "jemalloc" in name else {}
        for rate in ("1", "524288"):
            env = {"HEAPPROF_RATE": rate, "HEAPPROF_OUT": f"family.{name}.{rate}.pb.gz", **skip}
            same_behaviour([program("family")], cwd=directory, preload=[LIB, allocator],
                           baseline_preload=[allocator], env=env)
        # Where the allocator lacks a function, heapprof builds it from that allocator's own:
        # jemalloc has no pvalloc, so the run without heapprof leaves it out, and the run
        # with it must print the same plus the pvalloc line, and exit the same way (the
        # allocators themselves fail some of family's checks).
        pvalloc_line = "pvalloc page rounded                     ok\n"
        baseline = run([program("family")], preload=[allocator], cwd=directory, env={"FAMILY_SKIP_PVALLOC": "1"})
        result = run([program("family")], preload=[LIB, allocator], cwd=directory,
                     env={"HEAPPROF_OUT": f"pvalloc.{name}.pb.gz"})
        check(result.returncode == baseline.returncode and pvalloc_line in result.stdout
              and result.stdout.replace(pvalloc_line, "") == baseline.stdout,
              f"pvalloc over {name}: exit {result.returncode}, {baseline.returncode} without heapprof and pvalloc\n"
              f"--- without\n{baseline.stdout}--- with\n{result.stdout}")
        out = f"sites.{name}.pb.gz"
        result = same_behaviour([program("known_sites")], cwd=directory, preload=[LIB, allocator],
                                baseline_preload=[allocator], env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": out})
        profile = os.path.join(directory, out)
        check_exact(profile, expected_rows(result.stdout))
        check_readable(profile, "site_small")
print("other_allocators: ok")
