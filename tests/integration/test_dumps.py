"""Profiles during the run: on a signal, every N bytes, every N seconds. Each dump is
a complete profile numbered by %n, and the program keeps running."""
import signal
import time
from harness import *


def start(directory, env):
    full_env = dict(os.environ, LD_PRELOAD=LIB, HEAPPROF_OUT="dump.%n.pb.gz", **env)
    return subprocess.Popen([program("dump_waiter")], cwd=directory, env=full_env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def command(process, line):
    process.stdin.write(line + "\n")
    process.stdin.flush()
    check(process.stdout.readline() == f"done {line}\n", f"no reply to {line}")


def wait_for(path, seconds=20):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        check(time.monotonic() < deadline, f"{path} did not appear")
        time.sleep(0.02)


def finish(process):
    process.stdin.close()
    check(process.wait(timeout=60) == 0, f"exit status {process.returncode}: {process.stderr.read()}")


def waiter_objects(profile):
    return top(profile, "alloc_objects").get("waiter_work", (0, 0))[0]


with scratch_dir() as directory:
    process = start(directory, {"HEAPPROF_DUMP_SIGNAL": "SIGUSR2", "HEAPPROF_RATE": "1"})
    for dump in range(3):
        command(process, "allocate")
        process.send_signal(signal.SIGUSR2)
        wait_for(os.path.join(directory, f"dump.{dump}.pb.gz"))
    finish(process)
    for dump in range(3):
        check(waiter_objects(os.path.join(directory, f"dump.{dump}.pb.gz")) == dump + 1, f"dump {dump}")
    check(waiter_objects(os.path.join(directory, "dump.3.pb.gz")) == 3, "final profile")
    check_readable(os.path.join(directory, "dump.1.pb.gz"), "waiter_work")

with scratch_dir() as directory:
    process = start(directory, {"HEAPPROF_DUMP_INTERVAL": "64M"})
    command(process, "churn 300")
    wait_for(os.path.join(directory, "dump.3.pb.gz"))
    finish(process)
    dumps = profiles_in(directory)
    check(len(dumps) >= 4, f"expected at least 4 interval dumps for 300 MB at 64 MB: {dumps}")
    for dump in dumps:
        pprof(dump, "-top")

with scratch_dir() as directory:
    process = start(directory, {"HEAPPROF_DUMP_PERIOD": "1"})
    command(process, "allocate")
    wait_for(os.path.join(directory, "dump.1.pb.gz"), seconds=30)
    finish(process)
    check(len(profiles_in(directory)) >= 3, f"periodic dumps: {os.listdir(directory)}")
# A program that closes every descriptor it did not open, as daemons do, and then
# opens files of its own: dumps go on, and nothing of heapprof's touches its files.
with scratch_dir() as directory:
    process = start(directory, {"HEAPPROF_DUMP_INTERVAL": "64M", "HEAPPROF_DUMP_SIGNAL": "SIGUSR2"})
    command(process, "closefds")
    command(process, "churn 300")
    wait_for(os.path.join(directory, "dump.3.pb.gz"))
    process.send_signal(signal.SIGUSR2)
    wait_for(os.path.join(directory, "dump.4.pb.gz"))
    command(process, "churn 1")
    finish(process)
    with open(os.path.join(directory, "own.txt")) as own:
        content = own.read()
        check(content == "churn 300\nchurn 1\n", f"the program's own file was changed: {content!r}")
    dumps = profiles_in(directory)
    # 300 MB at 64 MB: four interval dumps, one on the signal, the final profile.
    check(5 <= len(dumps) <= 8, f"dumps after the descriptors were closed: {sorted(dumps)}")
    for dump in dumps:
        pprof(dump, "-top")
print("dumps: ok")
