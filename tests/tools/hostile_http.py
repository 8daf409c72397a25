#!/usr/bin/env python3
"""Hostile HTTP servers against a profile named by URL (docs/cli.md, "Input"): a
server that stalls, answers garbage, sends a body without end, redirects in a loop or
somewhere else than HTTP, or answers an error with a body without end. heapprof must
exit 1 with one "heapprof: ..." line on stderr (after the lines that say what it
fetches, as go tool pprof says them), print nothing on stdout, and stay within bounded
time and memory; a redirect to a good profile is followed.

    hostile_http.py HEAPPROF [--asan]"""

import argparse
import os
import socket
import socketserver
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from measured_run import Run  # noqa: E402
from pprof_writer import one_sample_profile  # noqa: E402

MEMORY_LIMIT = 1 << 30
ASAN_SLOWDOWN = 3
NOTES = ("Fetching profile over HTTP from ", "Please wait... (")
# Each connection answers one request, so every answer says so: a client that kept the
# connection for the next request (a redirect's) would find it closed, by a race.
OK_HEAD = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n"


def redirect(status, location):
    return b"HTTP/1.1 %s\r\nLocation: %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n" % (status, location)


def send_forever(connection, head, chunk):
    connection.sendall(head)
    while True:
        connection.sendall(chunk)


def stall(connection, seconds=30):
    time.sleep(seconds)


def trickle(connection):
    connection.sendall(OK_HEAD + b"\r\n")
    while True:
        connection.sendall(b"\0")
        time.sleep(0.1)


def hang_up(connection):
    pass


# What the server does for each path: raw bytes on the connection. A path's handler
# ends when the client goes away (a broken pipe) or when it is done.
BEHAVIOURS = {
    "/stall": lambda c: stall(c),
    "/stall-in-body": lambda c: (c.sendall(OK_HEAD + b"Content-Length: 1000\r\n\r\n" + b"\x1f\x8b"), stall(c)),
    "/trickle": trickle,
    "/garbage": lambda c: c.sendall(os.urandom(4096)),
    "/garbage-body": lambda c: c.sendall(OK_HEAD + b"Content-Length: 4096\r\n\r\n" + os.urandom(4096)),
    "/empty": lambda c: c.sendall(OK_HEAD + b"Content-Length: 0\r\n\r\n"),
    "/endless": lambda c: send_forever(c, OK_HEAD + b"\r\n", bytes(1 << 20)),
    "/huge-length": lambda c: (c.sendall(OK_HEAD + b"Content-Length: 2199023255552\r\n\r\n"),
                               send_forever(c, b"", bytes(1 << 16))),
    "/error-endless": lambda c: send_forever(c, b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain"
                                             b"\r\n\r\n", b"error " * 10000),
    "/error-escapes": lambda c: c.sendall(b"HTTP/1.1 418 \x1b[31mred\x1b[0m\x07\r\nContent-Length: 0\r\n\r\n"),
    "/loop": lambda c: c.sendall(redirect(b"302 Found", b"/loop")),
    "/to-file": lambda c: c.sendall(redirect(b"302 Found", b"file:///etc/passwd")),
    "/to-good": lambda c: c.sendall(redirect(b"301 Moved", b"/good")),
    "/good": lambda c: c.sendall(OK_HEAD + b"Content-Length: %d\r\n\r\n" % len(GOOD) + GOOD),
}
GOOD = one_sample_profile().encode()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(60)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                data = self.request.recv(4096)
                if not data:
                    return
                head += data
            path = head.split(b" ")[1].decode().split("?")[0]
            BEHAVIOURS.get(path, hang_up)(self.request)
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def check(heapprof, args, want_status, label, asan, memory_limit=MEMORY_LIMIT, most_mb=100, most_seconds=5,
          error_words=None):
    if asan:
        most_mb = None
        most_seconds *= ASAN_SLOWDOWN
    run = Run([heapprof] + args, memory_limit, timeout=most_seconds * 2 + 10, asan=asan)
    lines = run.stderr.splitlines()
    problems = []
    if run.timed_out:
        problems.append(f"still running after {run.seconds:.0f} s")
    elif run.returncode != want_status:
        problems.append(f"exit status {run.returncode}, want {want_status}")
    if want_status == 1:
        if run.stdout:
            problems.append(f"printed {len(run.stdout)} bytes on stdout")
        errors = [line for line in lines if not line.startswith(NOTES)]
        if len(errors) != 1 or not errors[0].startswith("heapprof: ") or lines[-1] != errors[0]:
            problems.append("stderr is not the fetch's notes and then one 'heapprof: ' line")
        if any(ord(c) < 0x20 or ord(c) == 0x7f for c in run.stderr.replace("\n", "")):
            problems.append("stderr holds control characters")
    if error_words and error_words not in run.stderr:
        problems.append(f"the error does not say '{error_words}'")
    if most_mb and run.peak_mb > most_mb:
        problems.append(f"took {run.peak_mb:.0f} MB, more than {most_mb:.0f} MB")
    if run.seconds > most_seconds:
        problems.append(f"took {run.seconds:.1f} s, more than {most_seconds} s")
    verdict = "FAIL" if problems else "ok"
    print(f"{verdict:4} {label} ({run.seconds:.1f} s, {run.peak_mb:.0f} MB): {run.stderr.strip()[-150:]!r}"
          + "".join("\n     " + p for p in problems), flush=True)
    return not problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("heapprof")
    parser.add_argument("--asan", action="store_true")
    args = parser.parse_args()
    heapprof = os.path.abspath(args.heapprof)
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    def bad(path, label, words, *flags, **limits):
        return check(heapprof, ["top", *flags, base + path], 1, label, args.asan, error_words=words, **limits)

    ok = True
    # go tool pprof's timeouts: -timeout N waits N seconds, and 5 more for the transfer.
    ok &= bad("/stall", "a server that never answers", "timed out", "-timeout", "1", most_seconds=9)
    ok &= bad("/stall-in-body", "a server that stops in the body", "timed out", "-timeout", "1", most_seconds=9)
    ok &= bad("/trickle", "a body a byte at a time, without end", "timed out", "-timeout", "1", most_seconds=9)
    ok &= bad("/stall?seconds=2", "a window of 2 s that never comes: 2 + 1 + 5 s", "timed out", most_seconds=11)
    ok &= bad("/garbage", "an answer that is not HTTP", "http fetch")
    ok &= bad("/garbage-body", "a 200 whose body is not a profile", base + "/garbage-body: ")
    ok &= bad("/empty", "an empty 200", base + "/empty: ")
    ok &= bad("/endless", "a body without end", "larger than 1024 MiB", memory_limit=3 << 29, most_mb=1100,
              most_seconds=60)
    ok &= bad("/huge-length", "a Content-Length of 2 TiB", "larger than 1024 MiB")
    ok &= bad("/error-endless", "a 500 with a body without end", "server response: 500 Internal Server Error")
    ok &= bad("/error-escapes", "a status line with terminal escapes", "server response: 418 ?[31mred?[0m?")
    ok &= bad("/loop", "redirects in a loop", "redirects")
    ok &= bad("/to-file", "a redirect to file:///etc/passwd", "http fetch")
    ok &= bad("/hang-up", "a server that closes without answering", "http fetch")
    ok &= check(heapprof, ["top", f"http://127.0.0.1:{closed_port}/debug/pprof/heap"], 1, "a port nobody listens on",
                args.asan, error_words="http fetch")
    ok &= check(heapprof, ["top", "http://"], 1, "a URL without a host", args.asan, error_words="http://")
    ok &= check(heapprof, ["top", base + "/to-good"], 0, "a redirect to a good profile", args.asan)
    server.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
