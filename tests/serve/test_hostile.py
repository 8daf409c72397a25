"""Hostile and careless clients (docs/reliability.md): each gets an error or is dropped
within a bounded time, the endpoint keeps answering others meanwhile, its memory and
descriptors stay bounded, and the program's output and exit status do not change."""
import concurrent.futures
from serving import *

REQUEST_SECONDS = 3  # src/serve/server.c: from connection to the end of the headers
SLACK = 1.5


def answered_quickly(address, seconds=2.0):
    """The index, answered within `seconds` while whatever else goes on."""
    started = time.monotonic()
    response = request(address, "/debug/pprof/", timeout=10)
    took = time.monotonic() - started
    check(response.status == 200 and took < seconds, f"index: status {response.status} after {took:.2f} s")


def closed_after(client, limit):
    """How long until the server closes `client`, reading (and returning) what it sent."""
    started = time.monotonic()
    client.settimeout(limit + 5)
    data = read_all(client)
    return time.monotonic() - started, data


def check_silent_client(address):
    with connect(address) as client:
        took, data = closed_after(client, REQUEST_SECONDS)
    check(data == b"" and REQUEST_SECONDS - 0.5 < took < REQUEST_SECONDS + SLACK,
          f"a silent client was dropped after {took:.2f} s with {data[:80]!r}")


def check_slow_client(address):
    """A byte every half second never completes a request: the deadline is for the
    whole request, not between bytes."""
    with connect(address) as client:
        started = time.monotonic()
        try:
            for byte in b"GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n":
                client.send(bytes([byte]))
                time.sleep(0.5)
                answered_quickly(address) if byte == ord("/") else None
        except (BrokenPipeError, ConnectionResetError):
            pass
        took, _ = closed_after(client, REQUEST_SECONDS)
        took = time.monotonic() - started
    check(took < REQUEST_SECONDS + SLACK, f"a slow client held its connection {took:.2f} s")


def check_half_requests(address):
    with connect(address) as client:
        client.sendall(b"GET /debug/pprof/heap HTTP/1.1\r\nHo")
        took, data = closed_after(client, REQUEST_SECONDS)
    check(data == b"" and took < REQUEST_SECONDS + SLACK, f"half a request: {took:.2f} s, {data[:80]!r}")
    with connect(address) as client:
        client.sendall(b"GET /debug/pprof/heap HTTP/1.1\r\nHo")
    answered_quickly(address)


def check_garbage(address):
    for garbage in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"\x00" * 64, os.urandom(4096),
                    b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", b"GET /\x7f HTTP/1.1\r\n\r\n",
                    b"SSH-2.0-OpenSSH_9.2\r\n"):
        started = time.monotonic()
        raw = exchange(address, garbage, timeout=REQUEST_SECONDS + 5)
        took = time.monotonic() - started
        if garbage == b"SSH-2.0-OpenSSH_9.2\r\n":
            check(Response(raw).status == 400, f"an SSH banner: {raw[:80]!r}")
            continue
        check(raw.startswith(b"HTTP/1.1 400 ") and took < 1, f"garbage {garbage[:12]!r}: {raw[:80]!r} after {took:.2f} s")


def check_large_headers(address):
    for size in (9000, 100000):
        data = b"GET /debug/pprof/heap HTTP/1.1\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
        raw = exchange(address, data, timeout=REQUEST_SECONDS + 5)
        check(raw.startswith(b"HTTP/1.1 431 "), f"{size} bytes of headers: {raw[:80]!r}")
    lines = b"".join(b"X-%d: %s\r\n" % (i, b"b" * 70) for i in range(100))
    raw = exchange(address, b"GET /debug/pprof/ HTTP/1.1\r\n" + lines + b"\r\n")
    check(raw.startswith(b"HTTP/1.1 200 "), f"7.5 KiB of headers are allowed: {raw[:80]!r}")


def check_unread_answer(address):
    """A client that asks for a profile and never reads it holds one slot until the
    answer's deadline; everyone else is answered meanwhile."""
    client = connect(address)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.sendall(b"GET /debug/pprof/heap?debug=1 HTTP/1.1\r\n\r\n")
    answered_quickly(address)
    client.close()


def one_connection(address, index):
    kind = index % 10
    try:
        if kind == 0:
            exchange(address, os.urandom(64))
        elif kind == 1:
            with connect(address) as client:
                client.sendall(b"GET /debug/pprof/ HT")
        elif kind == 2:
            connect(address).close()
        elif kind == 3 and index % 1000 == 3:
            check(request(address, "/debug/pprof/heap").status == 200, "heap")
        else:
            check(request(address, "/debug/pprof/").status == 200, "index")
    except (ConnectionResetError, BrokenPipeError):
        check(kind in (0, 1, 2), f"connection {index} reset")


def check_many_in_a_row(program, address):
    rss_before = rss_kib(program.pid)
    descriptors_before = len(descriptors(program.pid))
    started = time.monotonic()
    for index in range(10000):
        one_connection(address, index)
    took = time.monotonic() - started
    # Connections the server has not yet seen closed still count: let them go.
    time.sleep(REQUEST_SECONDS + SLACK)
    rss_after = rss_kib(program.pid)
    descriptors_after = len(descriptors(program.pid))
    check(rss_after - rss_before < 16 * 1024, f"RSS grew from {rss_before} to {rss_after} KiB over 10,000 connections")
    check(descriptors_after == descriptors_before,
          f"{descriptors_before} descriptors before 10,000 connections, {descriptors_after} after")
    print(f"10,000 connections in {took:.1f} s; RSS {rss_before} -> {rss_after} KiB")


def check_many_at_once(program, address):
    """50 silent connections at once, then 50 real requests at once: each real one is
    answered, and fast; the silent ones are dropped after the request deadline."""
    silent = [connect(address) for _ in range(50)]
    time.sleep(0.3)
    sockets = socket_descriptors(program.pid)
    check(len(sockets) >= 50, f"{len(sockets)} sockets open with 50 connections")
    check(min(sockets) >= 900, f"sockets at low numbers: {sorted(sockets)}")
    answered_quickly(address)
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda _: request(address, "/debug/pprof/heap?debug=1", timeout=30).status,
                                 range(50)))
    check(statuses == [200] * 50, f"50 requests at once: {statuses}")
    for client in silent:
        took, data = closed_after(client, REQUEST_SECONDS)
        check(data == b"", f"a silent connection got {data[:40]!r}")
        client.close()
    with concurrent.futures.ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(lambda _: request(address, "/debug/pprof/", timeout=30).status, range(100)))
    check(statuses == [200] * 100, f"100 requests at once: {statuses}")


COMMANDS = ["keep 200 1000", "churn 200", "keep 10 100000", "sleep 100"]

with scratch_dir() as directory:
    plain = Program({}, preload=False, cwd=directory)
    for line in COMMANDS:
        plain.command(line)
    expected = plain.finish(status=0)

    program = Program({"HEAPPROF_HTTP": "127.0.0.1:0", "HEAPPROF_OUT": os.path.join(directory, "h.%p.pb.gz")},
                      cwd=directory)
    try:
        address = program.address()
        for line in COMMANDS[:2]:
            program.command(line)
        check_garbage(address)
        check_large_headers(address)
        check_silent_client(address)
        check_half_requests(address)
        check_slow_client(address)
        check_unread_answer(address)
        check_many_at_once(program, address)
        check_many_in_a_row(program, address)
        for line in COMMANDS[2:]:
            program.command(line)
        answered_quickly(address)
        output = program.finish(status=0)
        check(output == expected, f"the program's output changed:\n{output!r}\nwithout heapprof:\n{expected!r}")
        check(len(program.heapprof_lines()) == 1, f"heapprof lines: {program.heapprof_lines()}")
    finally:
        program.kill()
print("hostile: ok")
