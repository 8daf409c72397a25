/* The dynamic loader's own locks, so that a sample may load libunwind only where no
   thread holds any of them: the one place heapprof calls dlopen inside malloc
   (docs/design.md, "Loading libunwind"). */
#ifndef HEAPPROF_LOADER_LOCKS_H
#define HEAPPROF_LOADER_LOCKS_H

#include <stdbool.h>

/* Finds glibc's three loader locks (objects, their list, TLS) inside _rtld_global,
   at start-up. Returns whether all three were found as expected; otherwise
   loader_locks_take always fails. */
bool loader_locks_find(void);

/* Takes all three if no thread holds any of them, this one included; otherwise takes
   none and returns false. Never waits. */
bool loader_locks_take(void);
void loader_locks_release(void);

/* loader_locks_take, then the list's and the TLS lock let go: across a dlopen this
   thread then holds what glibc's own dlopen holds across its allocations, the
   objects' lock alone (it takes the other two for moments, allocating nothing), so
   no new order of locks arises. */
bool loader_locks_take_objects(void);
void loader_locks_release_objects(void);

/* Whether a thread holds the objects' lock (inside dlopen or dlclose): read as a fork
   begins, since glibc gives the child that lock unheld, whatever the loader's state. */
bool loader_locks_objects_busy(void);

#endif
