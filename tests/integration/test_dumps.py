"""Profiles during the run: on a signal, every N bytes, every N seconds. Each dump is
a complete profile numbered by %n, and the program keeps running: its replies, its
own file and its exit status are those of the same session without heapprof (which
gets no signal: SIGUSR2 would end it)."""
import signal
import time
from harness import *


def wait_for(path, seconds=20):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        check(time.monotonic() < deadline, f"{path} did not appear")
        time.sleep(0.02)


SIGNAL = ("signal",)


def session(directory, env, steps, preload):
    """Runs dump_waiter through steps: a command line, SIGNAL (SIGUSR2), or ("wait",
    file, seconds). Without the preload no signal is sent and nothing waited for.
    Returns what the program printed, its exit status, its own file's content and
    its stderr."""
    full_env = dict(os.environ, HEAPPROF_OUT="dump.%n.pb.gz", **env)
    full_env.pop("LD_PRELOAD", None)
    if preload:
        full_env["LD_PRELOAD"] = LIB
    process = subprocess.Popen([program("dump_waiter")], cwd=directory, env=full_env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    replies = []
    for step in steps:
        if isinstance(step, str):
            process.stdin.write(step + "\n")
            process.stdin.flush()
            replies.append(process.stdout.readline())
        elif preload and step == SIGNAL:
            process.send_signal(signal.SIGUSR2)
        elif preload:
            wait_for(os.path.join(directory, step[1]), step[2])
    process.stdin.close()
    status = process.wait(timeout=60)
    own = os.path.join(directory, "own.txt")
    with open(own) if os.path.exists(own) else open(os.devnull) as own_file:
        return "".join(replies) + process.stdout.read(), status, own_file.read(), process.stderr.read()


def same_session(directory, env, steps):
    """The session without heapprof (in a directory of its own) and with it."""
    with scratch_dir() as plain_directory:
        plain = session(plain_directory, env, steps, preload=False)
    profiled = session(directory, env, steps, preload=True)
    check(profiled[:3] == plain[:3] and plain[1] == 0,
          f"{env}: under heapprof {profiled}\nwithout {plain}")


def descriptors_after_dumps(directory, count):
    """How many descriptors the profiled dump_waiter holds after each of `count` dumps
    on SIGUSR2."""
    env = dict(os.environ, HEAPPROF_OUT="dump.%n.pb.gz", HEAPPROF_DUMP_SIGNAL="SIGUSR2", LD_PRELOAD=LIB)
    process = subprocess.Popen([program("dump_waiter")], cwd=directory, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    counts = []
    try:
        process.stdin.write("allocate\n")
        process.stdin.flush()
        process.stdout.readline()
        for dump in range(count):
            process.send_signal(signal.SIGUSR2)
            wait_for(os.path.join(directory, f"dump.{dump}.pb.gz"))
            counts.append(len(os.listdir(f"/proc/{process.pid}/fd")))
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    return counts


def waiter_objects(profile):
    return top(profile, "alloc_objects").get("waiter_work", (0, 0))[0]


with scratch_dir() as directory:
    same_session(directory, {"HEAPPROF_DUMP_SIGNAL": "SIGUSR2", "HEAPPROF_RATE": "1"},
                 [step for dump in range(3) for step in ("allocate", SIGNAL, ("wait", f"dump.{dump}.pb.gz", 20))])
    for dump in range(3):
        check(waiter_objects(os.path.join(directory, f"dump.{dump}.pb.gz")) == dump + 1, f"dump {dump}")
    check(waiter_objects(os.path.join(directory, "dump.3.pb.gz")) == 3, "final profile")
    check_readable(os.path.join(directory, "dump.1.pb.gz"), "waiter_work")

with scratch_dir() as directory:
    same_session(directory, {"HEAPPROF_DUMP_INTERVAL": "64M"}, ["churn 300", ("wait", "dump.3.pb.gz", 20)])
    dumps = profiles_in(directory)
    check(len(dumps) >= 4, f"expected at least 4 interval dumps for 300 MB at 64 MB: {dumps}")
    for dump in dumps:
        pprof(dump, "-top")

with scratch_dir() as directory:
    same_session(directory, {"HEAPPROF_DUMP_PERIOD": "1"}, ["allocate", ("wait", "dump.1.pb.gz", 30)])
    check(len(profiles_in(directory)) >= 3, f"periodic dumps: {os.listdir(directory)}")

# A program that closes every descriptor it did not open, as daemons do, and then
# opens files of its own: dumps go on, and nothing of heapprof's touches its files.
with scratch_dir() as directory:
    same_session(directory, {"HEAPPROF_DUMP_INTERVAL": "64M", "HEAPPROF_DUMP_SIGNAL": "SIGUSR2"},
                 ["closefds", "churn 300", ("wait", "dump.3.pb.gz", 20), SIGNAL, ("wait", "dump.4.pb.gz", 20),
                  "churn 1"])
    with open(os.path.join(directory, "own.txt")) as own:
        content = own.read()
        check(content == "churn 300\nchurn 1\n", f"the program's own file was changed: {content!r}")
    dumps = profiles_in(directory)
    # 300 MB at 64 MB: four interval dumps, one on the signal, the final profile.
    check(5 <= len(dumps) <= 8, f"dumps after the descriptors were closed: {sorted(dumps)}")
    for dump in dumps:
        pprof(dump, "-top")
# Each dump closes what it opens: after the first, which opens the ELF files libdw keeps
# (docs/design.md), later ones hold nothing more.
with scratch_dir() as directory:
    counts = descriptors_after_dumps(directory, 5)
    check(counts[1:] == counts[:1] * 4, f"descriptors after each dump: {counts}")
print("dumps: ok")
