"""exec: the new program reads HEAPPROF_HTTP again. A program that replaces itself
serves again on the same port; a child it starts while the port is taken says so in
one line and runs without an endpoint. The endpoint's sockets are close-on-exec and
kept at the top of the descriptor table."""
from serving import *

with scratch_dir() as directory:
    port = free_port()
    address = f"127.0.0.1:{port}"
    program = Program({"HEAPPROF_HTTP": address, "HEAPPROF_RATE": "1",
                       "HEAPPROF_OUT": os.path.join(directory, "h.%p.%n.pb.gz")}, cwd=directory)
    try:
        program.command("keep 20 1000")
        wait_until_serving(address)
        check(program.heapprof_lines() == [], f"a fixed port is not announced: {program.heapprof_lines()}")
        with connect(address):
            time.sleep(0.2)
            check_ours_kept_high(program.pid)

        program.command("spawn keep 3 100;exit 0")
        check("child exited 0\n" in program.output, f"the child: {program.output}")
        taken = [line for line in program.heapprof_lines() if "cannot serve" in line]
        check(taken == [f"heapprof: cannot serve on {address}: Address already in use; no endpoint"],
              f"the child's lines: {program.heapprof_lines()}")
        wait_until_serving(address)

        program.command("exec keep 7 300")
        program.wait_for_line("done keep 7 300\n")
        wait_until_serving(address)
        heap = save_profile(address, "/debug/pprof/heap", os.path.join(directory, "after-exec.pb.gz"))
        allocated = {name: flat for name, (flat, _) in top(heap, "alloc_objects").items()}
        check(allocated.get("keep_work") == 7, f"the new program's profile: {allocated}")
        check_ours_kept_high(program.pid)
        program.finish(status=0)
        check(len(program.heapprof_lines()) == 1, f"heapprof lines: {program.heapprof_lines()}")
    finally:
        program.kill()
print("exec: ok")
