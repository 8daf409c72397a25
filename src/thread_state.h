/* Per-thread profiler state. Initial-exec TLS: a dynamic model would call
   __tls_get_addr, which may allocate, from inside malloc. */
#ifndef HEAPPROF_THREAD_STATE_H
#define HEAPPROF_THREAD_STATE_H

#include <stdbool.h>
#include <stdint.h>

#define TLS_MODEL __attribute__((tls_model("initial-exec")))

#define DEFERRED_FREES 16

struct thread_state {
	/* Bytes this thread may still allocate before the next sample point. */
	uint64_t bytes_until_sample;
	/* Exact totals, counted on the fast path; other threads read them with relaxed
	   loads (thread_registry.c), so a torn read is impossible on 64-bit targets. */
	uint64_t alloc_objects;
	uint64_t free_objects;
	/* Allocated bytes are derived, not counted: bytes_before_interval plus how much
	   of the current interval (interval_length) has been used. */
	uint64_t bytes_before_interval;
	uint64_t interval_length;
	/* Never re-registered once retired: the thread is exiting, its TLS about to go. */
	enum { THREAD_NEW, THREAD_REGISTERED, THREAD_RETIRED } registration;
	struct thread_state *next_thread, *previous_thread;
	/* Set while the thread is inside the profiler: nested allocations (from the
	   unwinder, the loader, a signal handler) are forwarded without sampling. */
	bool busy;
	uint32_t rate_generation;
	uint64_t random_state;
	/* Frees of sampled blocks that arrived while busy (a signal handler); completed,
	   block release included, when the thread leaves the profiler. */
	unsigned deferred_count;
	void *deferred[DEFERRED_FREES];
};

extern __thread struct thread_state thread_state TLS_MODEL;

#endif
