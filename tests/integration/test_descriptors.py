"""A program that closes every descriptor it did not open (daemons, ssh) and then
opens files of its own: heapprof and the libraries it loads must neither read, write
nor close them. libunwind keeps a pipe for checking stack addresses and reopens it,
closing both old numbers, when it finds it gone (libunwind issues #274 and #291).
After a profile written during the run, which leaves libdw's files open, the next
file the program opens gets the number it gets without heapprof, and a child it
starts inherits nothing of heapprof's."""
from harness import *

CONTENT = "".join(f"line {i}: the program's own data\n" for i in range(2000))

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
            check(top(os.path.join(directory, "heap.pb.gz"), "alloc_objects")
                  .get("allocate_after_close", (0, 0))[0] >= 1000,
                  f"{settings}: the allocations after the descriptors were closed were not all recorded")
print("descriptors: ok")
