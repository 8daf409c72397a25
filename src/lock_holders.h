/* The objects whose code may hold a lock that starting a thread or writing a profile
   needs: the dynamic loader (its own locks), libc (the allocator's, the threads'),
   the allocator heapprof forwards to, and heapprof. A pc outside all of them is the
   program's own code (docs/design.md, "Fork, threads, signals"). */
#ifndef HEAPPROF_LOCK_HOLDERS_H
#define HEAPPROF_LOCK_HOLDERS_H

#include <stdint.h>

enum lock_holder {
	LOCK_HOLDER_NONE,
	LOCK_HOLDER_LOADER,
	LOCK_HOLDER_LIBC,      /* glibc's allocator included */
	LOCK_HOLDER_ALLOCATOR, /* another, preloaded behind heapprof */
	LOCK_HOLDER_HEAPPROF,
};

/* Finds their code once, at start-up, after the next allocator is known. */
void lock_holders_find(void);

/* Which of them holds `pc`; async-signal-safe. */
enum lock_holder lock_holder_of(uintptr_t pc);

#endif
