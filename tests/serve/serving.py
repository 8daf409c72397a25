"""Helpers for the endpoint's tests: a program under the preload with HEAPPROF_HTTP,
driven through its stdin, and the requests a client sends to it."""
import gzip
import io
import re
import socket
import subprocess
import sys
import threading
import time

from harness import *

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from strip_symbols import fields, read_varint  # noqa: E402

SERVING = re.compile(r"^heapprof: serving http://(\S+)/debug/pprof/ for pid (\d+)$")


class Program:
    """serve_target (or argv) under the preload; its stderr is collected as it comes."""

    def __init__(self, env, argv=None, cwd=None, preload=True):
        full_env = dict(os.environ)
        full_env.pop("LD_PRELOAD", None)
        if preload:
            full_env["LD_PRELOAD"] = LIB
        full_env.update(env)
        self.process = subprocess.Popen(argv or [program("serve_target")], cwd=cwd, env=full_env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        self.output = []
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self):
        for line in self.process.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    @property
    def pid(self):
        return self.process.pid

    def command(self, line, timeout=60):
        """Sends a command and waits for its "done" line; other lines are kept."""
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            check(time.monotonic() < deadline, f"no answer to {line!r}")
            answer = self.process.stdout.readline()
            check(answer != "", f"the program ended before answering {line!r}: {self.stderr()}")
            self.output.append(answer)
            if answer == f"done {line}\n":
                return

    def wait_for_line(self, expected, timeout=60):
        """Reads stdout until `expected` (a whole line, newline included)."""
        deadline = time.monotonic() + timeout
        while True:
            check(time.monotonic() < deadline, f"no line {expected!r}")
            line = self.process.stdout.readline()
            check(line != "", f"the program ended before printing {expected!r}: {self.stderr()}")
            self.output.append(line)
            if line == expected:
                return

    def served_addresses(self, count=1, timeout=20):
        """The addresses announced on stderr ("HOST:PORT", pid), once `count` are."""
        deadline = time.monotonic() + timeout
        while True:
            found = [(m.group(1), int(m.group(2))) for m in map(SERVING.match, list(self.stderr_lines)) if m]
            if len(found) >= count:
                return found
            check(time.monotonic() < deadline, f"no serving line on stderr: {self.stderr()}")
            time.sleep(0.02)

    def address(self):
        return self.served_addresses()[0][0]

    def heapprof_lines(self):
        return [line for line in self.stderr_lines if line.startswith("heapprof:")]

    def stderr(self):
        return "\n".join(self.stderr_lines)

    def finish(self, status=0, timeout=60):
        """Closes stdin; the program must end with `status`. Returns its whole stdout."""
        self.process.stdin.close()
        rest = self.process.stdout.read()
        self.output.append(rest)
        check(self.process.wait(timeout=timeout) == status,
              f"exit status {self.process.returncode}, expected {status}: {self.stderr()}")
        self._reader.join(timeout=10)
        return "".join(self.output)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def connect(address, timeout=10):
    """A socket connected to "HOST:PORT", "[V6]:PORT" or "unix:PATH"."""
    if address.startswith("unix:"):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = address[5:]
    else:
        host, port = address.rsplit(":", 1)
        family = socket.AF_INET6 if host.startswith("[") else socket.AF_INET
        client = socket.socket(family, socket.SOCK_STREAM)
        target = (host.strip("[]"), int(port))
    client.settimeout(timeout)
    client.connect(target)
    return client


def read_all(client):
    chunks = []
    while True:
        try:
            chunk = client.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def exchange(address, data, timeout=30):
    """Sends raw bytes, half-closes nothing, and returns everything until the server closes."""
    with connect(address, timeout) as client:
        client.sendall(data)
        return read_all(client)


class Response:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        check(len(lines) > 0 and lines[0].startswith("HTTP/1.1 "), f"not an HTTP response: {raw[:200]!r}")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        if self.headers.get("content-length") is not None:
            check(int(self.headers["content-length"]) == len(self.body) or not self.body,
                  f"Content-Length {self.headers['content-length']} but {len(self.body)} bytes")

    def text(self):
        return self.body.decode()


def request(address, target, method="GET", timeout=30, headers=""):
    raw = exchange(address, f"{method} {target} HTTP/1.1\r\nHost: heapprof\r\n{headers}\r\n".encode(), timeout)
    return Response(raw)


# The User-Agent of each fleet collector's scrapes (docs/fleet.md names the sources).
COLLECTORS = {"alloy": "Alloy/v1.18.0 (linux; binary)", "parca": "conprof/v0.28.0"}


def collector_request(address, target, collector, timeout=30):
    """A scrape byte for byte as the collector sends it: Go's net/http writes Host, then
    User-Agent, and no Accept-Encoding (prometheus/common's transport turns compression
    off); keep-alive is on, so nothing asks the server to close."""
    data = f"GET {target} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: {COLLECTORS[collector]}\r\n\r\n"
    return Response(exchange(address, data.encode(), timeout))


def profile_bytes(address, target):
    """A profile's bytes, unzipped; checked to be gzip'd profile.proto."""
    response = request(address, target)
    check(response.status == 200, f"{target}: status {response.status}: {response.body[:200]!r}")
    check(response.headers.get("content-type") == "application/octet-stream",
          f"{target}: Content-Type {response.headers.get('content-type')}")
    check(response.body[:2] == b"\x1f\x8b", f"{target}: not gzip'd")
    return gzip.decompress(response.body)


PROFILE_TIME_NANOS, PROFILE_DURATION_NANOS = 9, 10


def profile_times(data):
    """time_nanos and duration_nanos of an unzipped profile (0 when absent)."""
    values = {number: read_varint(raw, 1)[0] for number, wire, raw, _ in fields(data)
              if wire == 0 and number in (PROFILE_TIME_NANOS, PROFILE_DURATION_NANOS)}
    return values.get(PROFILE_TIME_NANOS, 0), values.get(PROFILE_DURATION_NANOS, 0)


def save_profile(address, target, path):
    response = request(address, target)
    check(response.status == 200, f"{target}: status {response.status}")
    with open(path, "wb") as out:
        out.write(response.body)
    return path


def pprof_url(url, *args, directory):
    """go tool pprof on a URL (or a list of them, merged), as a user runs it; the fetched
    copy goes to `directory`."""
    env = dict(os.environ, TZ="UTC", PPROF_TMPDIR=directory)
    env.pop("LD_PRELOAD", None)
    urls = [url] if isinstance(url, str) else url
    result = subprocess.run(["go", "tool", "pprof", *args, *urls], env=env, capture_output=True, text=True,
                            timeout=240)
    check(result.returncode == 0, f"go tool pprof {' '.join(args)} {' '.join(urls)} failed:\n{result.stderr}")
    return result.stdout + result.stderr


def curl(*args):
    result = subprocess.run(["curl", "--silent", "--show-error", *args], capture_output=True, timeout=120)
    check(result.returncode == 0, f"curl {' '.join(args)} failed: {result.stderr.decode()}")
    return result.stdout


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def descriptors(pid):
    """{number: target} of the process's open descriptors."""
    directory = f"/proc/{pid}/fd"
    found = {}
    for name in os.listdir(directory):
        try:
            found[int(name)] = os.readlink(os.path.join(directory, name))
        except OSError:
            pass
    return found


def socket_descriptors(pid):
    return {number: target for number, target in descriptors(pid).items() if target.startswith("socket:")}


def wait_until_serving(address, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if request(address, "/debug/pprof/", timeout=5).status == 200:
                return
        except OSError:
            pass
        check(time.monotonic() < deadline, f"nothing serves on {address}")
        time.sleep(0.05)


def descriptor_flags(pid, number):
    with open(f"/proc/{pid}/fdinfo/{number}") as info:
        for line in info:
            if line.startswith("flags:"):
                return int(line.split()[1], 8)
    return 0


def check_ours_kept_high(pid):
    """Every socket of the process is close-on-exec and above the program's numbers."""
    sockets = socket_descriptors(pid)
    check(sockets, f"process {pid} has no socket")
    for number in sockets:
        check(number >= 900, f"a socket at descriptor {number}: {sorted(sockets)}")
        check(descriptor_flags(pid, number) & os.O_CLOEXEC, f"descriptor {number} is not close-on-exec")
