#!/usr/bin/env python3
"""Where `-o` writes (symbolize and flame): where the user points. A device
(/dev/null, /dev/full) is written into and stays a device, and a write error
is one "heapprof:" line and exit 1; a symlink is followed, never replaced; a
FIFO receives the bytes; a regular file is replaced whole, keeping its
permissions, with no temporary file left behind.

    output_targets.py HEAPPROF

Device nodes are made in a temporary directory when the test may (root),
so that a heapprof that replaced its target could not harm the real ones."""

import os
import stat
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from pprof_writer import Profile  # noqa: E402

failures = []


def expect(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def device(tmp, name, minor):
    """A character device like /dev/NAME (major 1), made in tmp when possible."""
    path = os.path.join(tmp, name)
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        return path
    except PermissionError:
        return "/dev/" + name


def is_device(path):
    return stat.S_ISCHR(os.stat(path).st_mode)


def looks_written(command, path):
    with open(path, "rb") as f:
        head = f.read(5)
    return head.startswith(b"\x1f\x8b") if command == "symbolize" else head == b"<?xml"


def one_error_line(result, words):
    return (result.returncode == 1 and not result.stdout and result.stderr.count("\n") == 1
            and result.stderr.startswith("heapprof: ") and words in result.stderr)


def check_command(heapprof, command, profile, tmp):
    def write(out):
        args = [heapprof, command, profile, "-o", out]
        return subprocess.run(args, capture_output=True, text=True, timeout=60)

    null, full = device(tmp, "null", 3), device(tmp, "full", 7)
    result = write(null)
    expect(result.returncode == 0 and is_device(null), f"{command} -o {null}: written into, still a device")
    result = write(full)
    expect(one_error_line(result, "No space left on device") and is_device(full),
           f"{command} -o {full}: one error line, exit 1, still a device ({result.stderr.strip()})")

    target = os.path.join(tmp, f"{command}-target")
    with open(target, "w") as f:
        f.write("old\n")
    os.chmod(target, 0o640)
    link = os.path.join(tmp, f"{command}-link")
    os.symlink(os.path.basename(target), link)
    result = write(link)
    expect(result.returncode == 0 and os.path.islink(link) and looks_written(command, target)
           and stat.S_IMODE(os.stat(target).st_mode) == 0o640,
           f"{command} -o SYMLINK: the link stays, its target is written and keeps its permissions")

    dangling = os.path.join(tmp, f"{command}-dangling")
    os.symlink(f"{command}-created", dangling)
    result = write(dangling)
    created = os.path.join(tmp, f"{command}-created")
    expect(result.returncode == 0 and os.path.islink(dangling) and os.path.exists(created)
           and looks_written(command, created), f"{command} -o DANGLING-SYMLINK: the file it names is created")

    fifo = os.path.join(tmp, f"{command}-fifo")
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    result = write(fifo)
    reader.join(timeout=60)
    expect(result.returncode == 0 and stat.S_ISFIFO(os.stat(fifo).st_mode) and received
           and len(received[0]) > 0, f"{command} -o FIFO: the bytes go through, the FIFO stays")

    fresh = os.path.join(tmp, f"{command}-new", "out")
    os.makedirs(os.path.dirname(fresh))
    result = write(fresh)
    expect(result.returncode == 0 and looks_written(command, fresh) and os.listdir(os.path.dirname(fresh)) == ["out"],
           f"{command} -o NEW-FILE: written, no temporary file left")
    result = write(tmp)
    expect(one_error_line(result, tmp), f"{command} -o DIRECTORY: one error line, exit 1")
    expect(not [n for n in os.listdir(tmp) if ".tmp." in n], f"{command}: no temporary file left anywhere")


def main():
    heapprof = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="heapprof-output-") as tmp:
        p = Profile()
        p.sample_type("inuse_space", "bytes")
        p.function(1, "main", filename="main.c")
        p.location(1, 0, 0x1100, [(1, 3)])
        p.sample([1], [100])
        profile = os.path.join(tmp, "in.pb.gz")
        p.write(profile)
        for command in ("symbolize", "flame"):
            with tempfile.TemporaryDirectory(prefix=command + "-", dir=tmp) as where:
                check_command(heapprof, command, profile, where)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
