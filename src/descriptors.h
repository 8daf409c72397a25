/* Descriptors heapprof keeps open while the program runs (libunwind's pipe, the ELF
   files libdw reads): out of the numbers the program's own files take. */
#ifndef HEAPPROF_DESCRIPTORS_H
#define HEAPPROF_DESCRIPTORS_H

/* Moves `fd` to the highest free number at or below the top of the table (1023, or
   the descriptor limit below that), close-on-exec; leaves it where it is when no
   number above it is free. Returns the number it is at. */
int descriptor_move_up(int fd);

/* open(path, O_RDONLY | O_CLOEXEC), moved up: -1 with errno on failure. */
int descriptor_open_read_only(const char *path);

/* How many times heapprof tries what a program closing every descriptor on another
   thread (as daemons do) can break under it: loading a library, writing a file,
   reading one. Such a program closes everything once, or a few times, not in a loop. */
#define DESCRIPTOR_ATTEMPTS 4

/* dlopen(name, RTLD_LAZY | RTLD_LOCAL), tried again where it fails: the loader's
   descriptor for the file may have been closed while it read it. NULL when every
   attempt failed. */
void *descriptor_dlopen_local(const char *name);

#endif
