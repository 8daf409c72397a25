"""Runs a command as the CLI tests need: under RLIMIT_AS and a timeout, with
its output, exit status, peak memory and wall time.

A command built with AddressSanitizer (asan=True) runs without RLIMIT_AS: ASan's
shadow memory needs far more address space than the limit. Its heap is bounded by
ASan's allocator instead (no allocation over the limit, and the process stops if its
resident memory exceeds twice the limit, ASan's own overhead included), and the
warning ASan prints when it refuses an allocation is not counted as output."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

# Runs a command under RLIMIT_AS and writes its wait status and peak memory
# (KiB) to a file. It forks from a fresh, small process: the peak of a
# process counts the memory of the one it was forked or spawned from, and
# some tests hold large inputs.
MEASURE = """
import os, resource, sys
limit, report = int(sys.argv[1]), sys.argv[2]
child = os.fork()
if child == 0:
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.execv(sys.argv[3], sys.argv[3:])
_, status, usage = os.wait4(child, 0)
with open(report, "w") as out:
    out.write(f"{status} {usage.ru_maxrss}")
"""

ASAN_REFUSED = re.compile(r"^==\d+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes\n", re.MULTILINE)


def asan_environment(memory_limit):
    options = [os.environ.get("ASAN_OPTIONS", ""), "allocator_may_return_null=1",
               f"max_allocation_size_mb={memory_limit >> 20}", f"hard_rss_limit_mb={2 * memory_limit >> 20}"]
    return dict(os.environ, ASAN_OPTIONS=":".join(option for option in options if option))


class Run:
    """A finished run: returncode (negative for a signal, None after the
    timeout), stdout (bytes), stderr (text), peak_mb and seconds.

    isolated=False starts the command through sh instead of a fresh Python,
    which costs a millisecond rather than tens, but its peak then counts this
    process's own memory too: for callers that hold little."""

    def __init__(self, args, memory_limit, timeout=120, cwd=None, isolated=True, asan=False):
        started = time.monotonic()
        self.env = asan_environment(memory_limit) if asan else None
        if asan:
            memory_limit = 0
        with tempfile.TemporaryDirectory(prefix="heapprof-run-") as where:
            if isolated:
                status, peak_kb = self._isolated(args, memory_limit, timeout, cwd, where)
            else:
                status, peak_kb = self._quick(args, memory_limit, timeout, cwd, where)
        if asan:
            self.stderr = ASAN_REFUSED.sub("", self.stderr)
        self.seconds = time.monotonic() - started
        self.timed_out = status is None
        self.returncode = None if status is None else os.waitstatus_to_exitcode(status)
        self.peak_mb = peak_kb / 1024

    def _isolated(self, args, memory_limit, timeout, cwd, where):
        report = os.path.join(where, "report")
        command = [sys.executable, "-c", MEASURE, str(memory_limit), report] + args
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=self.env,
                                 start_new_session=True)
        try:
            self.stdout, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            self.stdout, stderr = child.communicate()
        self.stderr = stderr.decode(errors="replace")
        if not os.path.exists(report):
            return None, 0
        status, peak_kb = open(report).read().split()
        return int(status), int(peak_kb)

    def _quick(self, args, memory_limit, timeout, cwd, where):
        limit = f"ulimit -v {memory_limit >> 10} && " if memory_limit else ""
        limited = ["sh", "-c", limit + 'exec "$@"', "sh"] + args
        with open(os.path.join(where, "out"), "w+b") as out, open(os.path.join(where, "err"), "w+b") as err:
            child = subprocess.Popen(limited, stdout=out, stderr=err, cwd=cwd, env=self.env, start_new_session=True)
            killer = threading.Timer(timeout, os.killpg, (child.pid, signal.SIGKILL))
            killer.start()
            _, status, usage = os.wait4(child.pid, 0)
            timed_out = not killer.is_alive()
            killer.cancel()
            child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
            out.seek(0)
            err.seek(0)
            self.stdout, self.stderr = out.read(), err.read().decode(errors="replace")
        return (None if timed_out else status), usage.ru_maxrss
