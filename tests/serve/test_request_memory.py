"""A request after the first maps no memory: the endpoint keeps what it built the last
profile in (docs/design.md, "The endpoint"). Each mmap, munmap, mremap, madvise or brk
of the endpoint's thread takes the kernel's mmap lock, which the program's threads need
to fault their pages in; glibc maps and unmaps blocks of 128 KiB and more, and trims
its arenas after a request's frees. strace follows the program; the endpoint's thread
is the one that accepts."""
import shutil
import subprocess
from serving import *

MEMORY_CALLS = ("mmap", "munmap", "mremap", "madvise", "brk")
SITES = 3000
PATHS = ["/debug/pprof/heap", "/debug/pprof/allocs", "/debug/pprof/heap?debug=1"]

check(shutil.which("strace"), "strace is not installed (scripts/deps.sh lists it)")

with scratch_dir() as directory:
    socket_path = os.path.join(directory, "heapprof.sock")
    trace = os.path.join(directory, "trace")
    argv = ["strace", "-f", "-o", trace, "-e", "trace=accept4," + ",".join(MEMORY_CALLS),
            "-E", f"LD_PRELOAD={LIB}", "-E", f"HEAPPROF_HTTP=unix:{socket_path}", "-E", "HEAPPROF_RATE=64",
            "-E", f"HEAPPROF_OUT={os.path.join(directory, 'h.%p.pb.gz')}", program("serve_target")]
    program_run = Program({}, argv=argv, preload=False)
    try:
        # Sites of every size, and a live table of 100,000 blocks: a profile whose
        # tables, live copy and output are each more than glibc maps.
        for size in range(1, SITES + 1):
            program_run.command(f"window 1 {size}")
        program_run.command("keep 100000 100")
        address = "unix:" + socket_path
        for round_index in range(4):
            for path in PATHS:
                check(request(address, path).status == 200, f"{path}: not answered")
        program_run.finish(status=0)
    finally:
        program_run.kill()
    with open(trace) as f:
        lines = [line.split(None, 1) for line in f if " " in line]
    accepts = [(tid, rest) for tid, rest in lines if rest.startswith("accept4(") and "= -1" not in rest]
    check(len(accepts) == 4 * len(PATHS), f"{len(accepts)} connections accepted")
    endpoint = accepts[0][0]
    calls, requests_seen = [], 0
    for tid, rest in lines:
        if tid != endpoint:
            continue
        if rest.startswith("accept4(") and "= -1" not in rest:
            requests_seen += 1
        elif requests_seen > 1 and rest.startswith(MEMORY_CALLS):
            calls.append(rest.strip())
    check(not calls, f"the endpoint's thread mapped memory after its first request:\n" + "\n".join(calls[:20]))
print("request_memory: ok")
