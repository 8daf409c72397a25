"""libunwind's address-checking pipe when many threads find it gone at once
(docs/reliability.md, "Cases decided"). Each round, pipe_contention closes every
descriptor above stderr and opens its input file, read-only, in the two highest
numbers, where heapprof had moved libunwind's pipe; then 32 new threads allocate
together at rate 1, and libunwind checks addresses on each fresh stack through the
pipe's old numbers. No read on libunwind's behalf may move the file's offset, and
the threads racing to reopen the pipe must not close a read end while another
writes to the write end (SIGPIPE).

A thread of the program may close the pipe's read end between heapprof's check of the
pipe and libunwind's write into it: pipe_closer closes it over and over while threads
allocate at rate 1 on fresh stacks. The write must not end the program with SIGPIPE
(it did in each of five runs before, and in torture seed 234), and a
SIGPIPE of the program's own, afterwards, must still reach its handler.

A thread that stops while it uses the guard's table (in a signal handler that does
not return, say) must not stop the others: pipe_holder stops one there for 20 s,
while a second allocates on a fresh stack, which libunwind checks through the pipe.
Before the wait for the table was bounded, the second waited the 20 s."""
from harness import *

ROUNDS = "100"
with scratch_dir() as directory:
    source = os.path.join(directory, "input.txt")
    with open(source, "w") as handle:
        handle.write("the program's own data\n" * 100)
    result = same_behaviour([program("pipe_contention"), source, ROUNDS], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "pipe.pb.gz"})
    check(result.stdout == f"rounds {ROUNDS}, the file's offset moved in 0\n", result.stdout)

    result = same_behaviour([program("pipe_closer"), "2000"], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": os.path.join(directory, "closer.pb.gz")})
    check(result.stdout == "2000 rounds\nown write -1 (Broken pipe), SIGPIPE handled 1\n", result.stdout)
    check_readable(os.path.join(directory, "closer.pb.gz"), "allocate")

    held = run([program("pipe_holder")], cwd=directory, env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "holder.pb.gz"})
    check(held.returncode == 0 and held.stdout == "the second thread went on\n",
          f"status {held.returncode}: {held.stdout} {held.stderr}")
    check_readable(os.path.join(directory, "holder.pb.gz"), "allocate")
print("pipe_contention: ok")
