"""A program that closes every descriptor it did not open (daemons, ssh) and then
opens files of its own: heapprof and the libraries it loads must neither read, write
nor close them. libunwind keeps a pipe for checking stack addresses and reopens it,
closing both old numbers, when it finds it gone (libunwind issues #274 and #291).
After a profile written during the run, which leaves libdw's files open, the next
file the program opens gets the number it gets without heapprof, and a child it
starts inherits nothing of heapprof's.

The program may close every descriptor while a profile is being written, heapprof's
own included (closing_races, preloaded before heapprof, does what generated programs
did, once each): as the exit's profile is written, with /dev/null opened in the lowest
numbers after, and then in the number of heapprof's start directory; while libdw and zlib are loaded; before the program's file is read for
its symbols; between the link of the peak profile, whose name a file already has, and
heapprof's look at that file (torture seed 1081: "a file that heapprof did not write
is in the way"). The temporary file's descriptor is at the top of the table, so the
profile goes into none of the program's files, and each of the three is tried again.
Before, the profile was lost ("Bad file descriptor"), or had no symbols or no
compression from then on.

heapprof makes each descriptor in the lowest free number and moves it to the top. A
thread of the program that closes every descriptor (closefrom, close_range, or close
one by one) and opens a pipe in between (close_during_move holds heapprof's move
there) waits until the move is done: before, the move took the program's read end to
the top and closed the program's number, and the program's round trip through the
pipe failed (torture seed 1184)."""
from harness import *

CONTENT = "".join(f"line {i}: the program's own data\n" for i in range(2000))
# descriptors.c allocates 1000 blocks of 64 + i bytes, all freed, before each read of
# 4096 bytes, the last read being the one that returns 0.
READS = -(-len(CONTENT) // 4096) + 1
AFTER_CLOSE = dict(alloc_objects=1000 * READS, alloc_space=sum(64 + i for i in range(1000)) * READS,
                   inuse_objects=0, inuse_space=0)

for settings in ({"HEAPPROF_RATE": "1"}, {"HEAPPROF_RATE": "1", "HEAPPROF_UNWIND": "fp"}, {}):
    with scratch_dir() as directory:
        source = os.path.join(directory, "input.txt")
        copy = os.path.join(directory, "output.txt")
        with open(source, "w") as handle:
            handle.write(CONTENT)
        profiled = same_behaviour([program("descriptors"), source, copy], cwd=directory,
                                  env=dict(settings, HEAPPROF_OUT="heap.pb.gz"))
        check(profiled.stdout == f"read {len(CONTENT)} bytes on descriptor 3, wrote on 4\n"
              "next open: descriptor 3\n", f"{settings}: {profiled.stdout!r}")
        check(os.path.exists(os.path.join(directory, "during.pb.gz")), f"{settings}: no profile during the run")
        with open(copy) as handle:
            check(handle.read() == CONTENT, f"{settings}: the program's output was changed")
        if settings:
            check_exact(os.path.join(directory, "heap.pb.gz"), {"allocate_after_close": AFTER_CLOSE})
with scratch_dir() as directory:
    shim = os.environ["HEAPPROF_CLOSING_RACES"]
    profiled = same_behaviour([program("exit_paths"), "exit"], cwd=directory, preload=[shim, LIB],
                              baseline_preload=[shim], env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "closed.pb.gz"})
    check(not heapprof_lines(profiled.stderr), profiled.stderr)
    with open(os.path.join(directory, "closed.pb.gz"), "rb") as profile:
        check(profile.read(2) == b"\x1f\x8b", "closed during the write: the profile is not gzip'd")
    check(sorted(os.listdir(directory)) == ["closed.pb.gz", "closed.peak.pb.gz"],
          f"closed during the write: {sorted(os.listdir(directory))}")
    # Named by heapprof, not by go tool pprof from the binary.
    check("exit_path_work" in pprof(os.path.join(directory, "closed.pb.gz"), "-symbolize=none", "-top"),
          "closed during the write: the profile has no symbols")
    check_exact(os.path.join(directory, "closed.pb.gz"),
                {"exit_path_work": dict(alloc_objects=100, alloc_space=500000, inuse_objects=100,
                                        inuse_space=500000)})
for method in ("closefrom", "close_range", "close", "dup2"):
    with scratch_dir() as directory:
        profiled = same_behaviour([program("close_during_move"), method, "during.pb.gz"], cwd=directory,
                                  env={"HEAPPROF_OUT": "heap.pb.gz"})
        check(profiled.stdout == "round trip: ok\n", f"{method}: {profiled.stdout!r}")
        check("held heapprof's move" in profiled.stderr, f"{method}: heapprof moved nothing: {profiled.stderr}")
        check(not heapprof_lines(profiled.stderr), f"{method}: {profiled.stderr}")
        check(os.path.exists(os.path.join(directory, "during.pb.gz")), f"{method}: no profile during the run")
# A thread cancelled at its close leaves no close counted: twenty profiles, each made in
# windows that would wait 100 ms apiece for a close left counted, take milliseconds.
# The cancellation acts where glibc's close acts on it, before the descriptor is closed.
with scratch_dir() as directory:
    result = run([program("cancel_in_close"), "api.pb.gz"], cwd=directory, preload=[LIB])
    check(result.returncode == 0 and result.stdout == "cancelled: 1, closed: 0\n",
          f"cancel_in_close: {result.returncode} {result.stdout!r} {result.stderr}")
    took = int(result.stderr.split("20 writes: ")[1].split()[0])
    check(took < 2000, f"20 profiles took {took} ms: a cancelled close was left counted")
print("descriptors: ok")
