"""A program that closes every descriptor it did not open (daemons, ssh) and then
opens files of its own: heapprof and the libraries it loads must neither read, write
nor close them. libunwind keeps a pipe for checking stack addresses and reopens it,
closing both old numbers, when it finds it gone (libunwind issues #274 and #291).
After a profile written during the run, which leaves libdw's files open, the next
file the program opens gets the number it gets without heapprof, and a child it
starts inherits nothing of heapprof's."""
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
print("descriptors: ok")
