"""HEAPPROF_DUMP_SIGNAL refuses the signals a program cannot survive having caught: a
handler that returns from a fault runs the faulting instruction again, forever, and
SIGABRT kills anyway. One heapprof: line, no handler, and the program dies of its
fault as it does without heapprof."""
from harness import *

FAULTS = {"segv": "SIGSEGV", "bus": "SIGBUS", "ill": "SIGILL", "fpe": "SIGFPE", "trap": "SIGTRAP",
          "abort": "SIGABRT", "sys": "SIGSYS"}


def run_briefly(argv, preload, env, cwd):
    try:
        return run(argv, preload=preload, env=env, cwd=cwd, timeout=30)
    except subprocess.TimeoutExpired:
        fail(f"{' '.join(argv)} with {env} did not end within 30 s")


with scratch_dir() as directory:
    for fault, name in FAULTS.items():
        env = {"HEAPPROF_DUMP_SIGNAL": name, "HEAPPROF_OUT": f"{fault}.%n.pb.gz"}
        plain = run_briefly([program("faults"), fault], False, env, directory)
        profiled = run_briefly([program("faults"), fault], True, env, directory)
        check(plain.returncode < 0, f"{fault}: the program did not die of a signal: {plain.returncode}")
        check(profiled.returncode == plain.returncode and profiled.stdout == plain.stdout,
              f"{fault}: status {profiled.returncode} and {profiled.stdout!r} under heapprof, "
              f"{plain.returncode} and {plain.stdout!r} without")
        lines = heapprof_lines(profiled.stderr)
        check(len(lines) == 1 and lines[0].startswith(f'heapprof: HEAPPROF_DUMP_SIGNAL="{name}"'),
              f"{name}: expected one line refusing it, got {lines}")
        written = profiles_in(directory)
        check(not written, f"{fault}: profiles written by a crashing program: {len(written)}")
print("fatal_signals: ok")
