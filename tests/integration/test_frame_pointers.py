"""HEAPPROF_UNWIND=fp: for code built with frame pointers the stacks match libunwind's
and the counts stay exact; for code without them (the demo, built -O2, and Debian's
libraries) the walk stops safely and the program behaves as ever."""
from harness import *


def program_frames(profile, site):
    """The trace of `site`, down to main: the part both unwinders must agree on."""
    traces = pprof(profile, "-traces", "-sample_index=alloc_objects", "-focus=^" + site + "$")
    block = traces.split("-----------+")[1]
    frames = [line.split()[-1] for line in block.splitlines()[2:] if line.strip()]
    return frames[: frames.index("main") + 1] if "main" in frames else frames


with scratch_dir() as directory:
    profiles = {}
    for unwinder in ("libunwind", "fp"):
        out = f"sites.{unwinder}.pb.gz"
        result = same_behaviour([program("known_sites")], cwd=directory,
                                env={"HEAPPROF_RATE": "1", "HEAPPROF_UNWIND": unwinder, "HEAPPROF_OUT": out})
        profiles[unwinder] = os.path.join(directory, out)
        check_exact(profiles[unwinder], expected_rows(result.stdout))
    for site in expected_rows(result.stdout):
        libunwind, fp = program_frames(profiles["libunwind"], site), program_frames(profiles["fp"], site)
        check(fp == libunwind and fp[-1] == "main", f"{site}: fp {fp} libunwind {libunwind}")

    demo = os.environ["HEAPPROF_DEMO"]
    same_behaviour([demo], cwd=directory, env={"HEAPPROF_RATE": "4096", "HEAPPROF_UNWIND": "fp",
                                               "HEAPPROF_OUT": "demo.fp.pb.gz"})
    check_readable(os.path.join(directory, "demo.fp.pb.gz"), "main")
    same_behaviour([program("threads")], cwd=directory, env={"HEAPPROF_RATE": "1", "HEAPPROF_UNWIND": "fp",
                                                            "HEAPPROF_OUT": "threads.fp.pb.gz"})
    check_readable(os.path.join(directory, "threads.fp.pb.gz"), "thread_work")
print("frame_pointers: ok")
