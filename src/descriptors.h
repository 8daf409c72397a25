/* Descriptors heapprof keeps open while the program runs (libunwind's pipe, the ELF
   files libdw reads): out of the numbers the program's own files take. Every
   descriptor heapprof makes is made here, in a window that the program's closes wait
   for (docs/design.md, "Hands off the program's descriptors"). */
#ifndef HEAPPROF_DESCRIPTORS_H
#define HEAPPROF_DESCRIPTORS_H

#include <sys/types.h>

/* Moves `fd` to the highest free number at or below the top of the table (1023, or
   the descriptor limit below that), close-on-exec; leaves it where it is when no
   number above it is free. Returns the number it is at. */
int descriptor_move_up(int fd);

/* openat, socket, accept4 and pipe2, each made in a window and moved up before the
   window ends: -1 (or pipe2's result) with errno on failure. */
int descriptor_openat(int directory, const char *path, int flags, mode_t mode);
int descriptor_socket(int domain, int type);
int descriptor_accept(int listener, int flags);
int descriptor_pipe(int ends[2], int flags);

/* open(path, O_RDONLY | O_CLOEXEC), moved up: -1 with errno on failure. */
int descriptor_open_read_only(const char *path);

/* Around each of the program's closes (closes.c): waits while a window is open, and
   holds new windows off until the close is done. heapprof's own closes inside a window
   go straight through. */
void descriptor_close_begin(void);
void descriptor_close_end(void);

/* In a fork child: the windows and closes of the threads the fork left behind are gone. */
void descriptor_fork_child(void);

/* How many times heapprof tries what a program closing every descriptor on another
   thread (as daemons do) can break under it: loading a library, writing a file,
   reading one. Such a program closes everything once, or a few times, not in a loop. */
#define DESCRIPTOR_ATTEMPTS 4

/* dlopen(name, RTLD_LAZY | RTLD_LOCAL), tried again where it fails: the loader's
   descriptor for the file may have been closed while it read it. NULL when every
   attempt failed. */
void *descriptor_dlopen_local(const char *name);

#endif
