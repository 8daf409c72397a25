"""HEAPPROF_UNWIND=fp: for code built with frame pointers the stacks match libunwind's
and the counts stay exact; where the walk ends at the allocation's caller (fp_fallback
calls malloc with %rbp cleared) the stack comes from libunwind instead, whole; for
code without frame pointers (the demo, built -O2, and Debian's libraries) the walk
stops safely and the program behaves as ever."""
from harness import *


def program_frames(profile, site):
    """The trace of `site`, down to main: the part both unwinders must agree on."""
    traces = pprof(profile, "-traces", "-sample_index=alloc_objects", "-focus=^" + site + "$")
    block = traces.split("-----------+")[1]
    # Label lines ("bytes:  200B", "age:  0s") come before the frames.
    frames = [line.split()[-1] for line in block.splitlines()[1:]
              if line.strip() and not re.match(r"\s*[A-Za-z_][\w.]*:\s", line)]
    return frames[: frames.index("main") + 1] if "main" in frames else frames


def same_stacks(name, sites):
    """Runs program `name` at rate 1 with each unwinder: exact counts, and every one of
    its `sites` has the same frames down to main."""
    profiles = {}
    for unwinder in ("libunwind", "fp"):
        out = f"{name}.{unwinder}.pb.gz"
        result = same_behaviour([program(name)], cwd=directory,
                                env={"HEAPPROF_RATE": "1", "HEAPPROF_UNWIND": unwinder, "HEAPPROF_OUT": out})
        profiles[unwinder] = os.path.join(directory, out)
        expected = expected_rows(result.stdout)
        check(len(expected) == sites, f"{name} printed {len(expected)} sites, expected {sites}: {result.stdout}")
        check_exact(profiles[unwinder], expected)
    for site in expected:
        libunwind, fp = program_frames(profiles["libunwind"], site), program_frames(profiles["fp"], site)
        check(fp == libunwind and fp[-1] == "main", f"{name} {site}: fp {fp} libunwind {libunwind}")


with scratch_dir() as directory:
    same_stacks("known_sites", 7)
    same_stacks("fp_fallback", 1)

    demo = os.environ["HEAPPROF_DEMO"]
    same_behaviour([demo], cwd=directory, env={"HEAPPROF_RATE": "4096", "HEAPPROF_UNWIND": "fp",
                                               "HEAPPROF_OUT": "demo.fp.pb.gz"})
    check_readable(os.path.join(directory, "demo.fp.pb.gz"), "main")
    same_behaviour([program("threads")], cwd=directory, env={"HEAPPROF_RATE": "1", "HEAPPROF_UNWIND": "fp",
                                                            "HEAPPROF_OUT": "threads.fp.pb.gz"})
    check_readable(os.path.join(directory, "threads.fp.pb.gz"), "thread_work")
print("frame_pointers: ok")
