/* Every thread that has allocated or freed, so that process-wide totals can be read
   without a shared counter on the fast path. */
#ifndef HEAPPROF_THREAD_REGISTRY_H
#define HEAPPROF_THREAD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thread_state.h"

struct thread_totals {
	uint64_t alloc_objects;
	uint64_t free_objects;
	uint64_t alloc_bytes;
	/* The in-use estimate's parts, summed (estimate.c). */
	int64_t inuse_bytes;
	int64_t inuse_units;
	uint64_t samples;
};

/* Sets what is called on a thread (if not NULL) as it leaves the registry, before its
   counts join the totals: at its exit, or in a forked child, where it does not exist. */
void thread_registry_start(void (*at_exit)(struct thread_state *state));

/* Adds the calling thread (once). */
void thread_registry_add(struct thread_state *state);
/* The same at the thread's first free, which may come after its key destructors have
   run: such a thread is not listed (thread_registry.c says why). */
void thread_registry_add_at_free(struct thread_state *state);

struct thread_totals thread_registry_totals(void);

/* Calls `visit` on every registered thread, under the registry's lock: none of them
   can exit meanwhile. */
void thread_registry_for_each(void (*visit)(struct thread_state *state));

/* A free's count, registering the thread on its first (free(NULL) frees nothing). */
static inline void thread_count_free(const void *pointer)
{
	struct thread_state *state = &thread_state;
	counter_add(&state->free_objects, pointer != NULL);
	if (__builtin_expect(state->registration == THREAD_NEW, 0) && pointer)
		thread_registry_add_at_free(state);
}

void thread_registry_lock(void);
bool thread_registry_trylock(void);
void thread_registry_unlock(void);

/* In a forked child, with the lock taken before the fork: `survivor` is the only
   thread left. The others leave the registry as if they had exited; glibc reuses
   their stacks and TLS for the child's new threads. */
void thread_registry_fork_child(struct thread_state *survivor);

#endif
