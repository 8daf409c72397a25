"""A program that closes every descriptor it did not open, as daemons do, closes the
endpoint's sockets too: the endpoint stops with one line and never touches the
files the program opens in their place."""
from serving import *

with scratch_dir() as directory:
    program = Program({"HEAPPROF_HTTP": "127.0.0.1:0"}, cwd=directory)
    try:
        address = program.address()
        program.command("keep 10 1000")
        held = connect(address)
        held.sendall(b"GET /debug/pprof/heap HTTP/1.1\r\n")
        time.sleep(0.2)
        program.command("closefds")
        deadline = time.monotonic() + 10
        while not any("closed the endpoint's socket" in line for line in program.heapprof_lines()):
            check(time.monotonic() < deadline, f"the endpoint did not notice: {program.heapprof_lines()}")
            time.sleep(0.05)
        for line in ("churn 100", "keep 5 100", "sleep 10"):
            program.command(line)
        try:
            refused = request(address, "/debug/pprof/", timeout=2)
            fail(f"still answered after its socket was closed: {refused.status}")
        except OSError:
            pass
        held.close()
        program.finish(status=0)
        with open(os.path.join(directory, "own.txt")) as own:
            content = own.read()
        check(content == "closefds\nchurn 100\nkeep 5 100\nsleep 10\n", f"the program's file: {content!r}")
        check(len(program.heapprof_lines()) == 2, f"heapprof lines: {program.heapprof_lines()}")
    finally:
        program.kill()
print("descriptors: ok")
