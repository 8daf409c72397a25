"""SIGTERM, SIGINT and SIGHUP left at their default action: the final profile is
written, then the process ends as the default action ends it, with the same wait
status, whatever it was doing when the signal came. A program that handles the
signal, or inherits it ignored, keeps it; a program that reads its dispositions sees
what it would see without heapprof (docs/design.md, "Stop signals")."""
import signal
import time
from harness import *


def default_stop_signals():
    """The suite may run under nohup, which leaves SIGHUP ignored in every child."""
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


def ended(mode, sent, preload, env, directory):
    """Runs stopping MODE, sends `sent` once it is ready (None: sends nothing) and
    returns (status, stdout, stderr)."""
    full_env = dict(os.environ, **env)
    full_env.pop("LD_PRELOAD", None)
    if preload:
        full_env["LD_PRELOAD"] = LIB
    process = subprocess.Popen([program("stopping"), mode], cwd=directory, env=full_env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_stop_signals)
    lines = []
    while not lines or lines[-1] != "ready\n":
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
    if sent:
        time.sleep(0.2)
        process.send_signal(sent)
    try:
        rest, errors = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        rest, errors = process.communicate()
        fail(f"{mode}: still running 30 s after {sent}; stderr: {errors}")
    return process.returncode, "".join(lines) + rest, errors


def check_same_end(mode, sent, expected_status, directory, with_profile=True):
    out = os.path.join(directory, f"stop.{mode}.{int(sent or 0)}.pb.gz")
    env = {"HEAPPROF_RATE": "1", "HEAPPROF_OUT": out}
    plain = ended(mode, sent, False, env, directory)
    profiled = ended(mode, sent, True, env, directory)
    check(plain[0] == expected_status, f"{mode} without heapprof: status {plain[0]}")
    check(profiled[0] == plain[0], f"{mode}, {sent}: status {profiled[0]} under heapprof, {plain[0]} without; "
          f"stderr {profiled[2]}")
    check(profiled[1] == plain[1], f"{mode}: stdout differs:\n{profiled[1]}\nwithout heapprof:\n{plain[1]}")
    check(heapprof_lines(profiled[2]) == [], f"{mode}: {heapprof_lines(profiled[2])}")
    if with_profile:
        check_exact(out, {"stop_work": dict(alloc_objects=100, alloc_space=300000, inuse_objects=100,
                                            inuse_space=300000)})
    else:
        check(not os.path.exists(out), f"{mode}: a profile was written")
    return profiled


with scratch_dir() as directory:
    # Wherever the signal finds the program: blocked in a system call, in its own
    # code, in libc's allocator or in heapprof's.
    for mode, sent in (("pause", signal.SIGTERM), ("sleep", signal.SIGINT), ("read", signal.SIGHUP),
                       ("join", signal.SIGTERM), ("spin", signal.SIGTERM), ("churn", signal.SIGINT)):
        profiled = check_same_end(mode, sent, -sent, directory)
    check("SIGTERM: default, flags 0, mask empty" in profiled[1] or "Terminated: default, flags 0" in profiled[1],
          f"the program's view of its dispositions: {profiled[1]}")
    check("sigset(SIGINT, SIG_HOLD): default" in profiled[1], f"sigset: {profiled[1]}")
    # Sent to itself: raise() must not return, as with the default action.
    check_same_end("raise", None, -signal.SIGTERM, directory)
    check_same_end("kill", None, -signal.SIGINT, directory)
    # The program's own handler, installed after start, keeps control.
    profiled = check_same_end("handler", signal.SIGTERM, 7, directory, with_profile=False)
    check("replaced: default" in profiled[1], f"signal()'s answer: {profiled[1]}")
    # Ignored before the program started (nohup, a shell's background job): stays so.
    ignore = lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN)
    out = os.path.join(directory, "ignored.pb.gz")
    env = dict(os.environ, LD_PRELOAD=LIB, HEAPPROF_RATE="1", HEAPPROF_OUT=out)
    process = subprocess.Popen([program("stopping"), "pause"], cwd=directory, env=env, stdout=subprocess.PIPE,
                               text=True, preexec_fn=ignore)
    shown = "".join(iter(lambda: process.stdout.readline(), "ready\n"))
    check("Terminated: ignored" in shown, f"an inherited SIG_IGN: {shown}")
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    check(process.poll() is None, "an ignored SIGTERM ended the program")
    process.send_signal(signal.SIGINT)
    check(process.wait(timeout=30) == -signal.SIGINT, f"status {process.returncode}")
    check(os.path.exists(out), "no profile on SIGINT")
    # As the parent shell sees it.
    script = f"'{program('stopping')}' pause & pid=$!; sleep 0.5; kill -TERM $pid; wait $pid; echo status=$?"
    for preload in (False, True):
        shell = run(["bash", "-c", script], preload=LIB if preload else False, cwd=directory,
                    env={"HEAPPROF_OUT": os.path.join(directory, "shell.%p.pb.gz")})
        check(shell.stdout.endswith("status=143\n"), f"the shell saw: {shell.stdout!r}")
    # A fork child ends on its own signal with its own profile.
    env = {"HEAPPROF_RATE": "1", "HEAPPROF_OUT": os.path.join(directory, "fork.%p.pb.gz")}
    full_env = dict(os.environ, LD_PRELOAD=LIB, **env)
    process = subprocess.Popen([program("stopping"), "fork"], cwd=directory, env=full_env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    child = int(process.stderr.readline().split()[1])
    time.sleep(0.3)
    os.kill(child, signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    check(process.returncode == 0 and output.endswith("child ended by Terminated\n"), f"fork: {output!r}")
    check(os.path.exists(os.path.join(directory, f"fork.{child}.pb.gz")), f"no child profile: {os.listdir(directory)}")
print("stop_signals: ok")
