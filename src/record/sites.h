/* Interned stacks and, per (stack, size, sampling rate), the sampled allocation
   counters: the rows of the profile. A rate of its own per site keeps what each
   sample stands for when heapprof_set_rate changes the rate. Sites are never
   removed, so a pointer to one stays valid forever. */
#ifndef HEAPPROF_SITES_H
#define HEAPPROF_SITES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labels.h"

struct stack {
	uint64_t hash;
	uint32_t depth;
	/* Set once every pc is known to lie in a module the profile will describe
	   (recorder.c): a stack seen again needs no check. */
	_Atomic bool modules_known;
	uint8_t shard; /* whose arena and tables hold it (sites.c) */
	uintptr_t pcs[];
};

/* How many of a site's blocks were freed at one lifetime bucket (labels.h). */
struct lifetime_count {
	uint64_t bucket;
	_Atomic uint64_t frees;
	_Atomic(struct lifetime_count *) next;
};

struct site {
	struct stack *stack;
	size_t size;
	size_t rate; /* what its allocations were sampled at */
	/* The allocating thread's name with HEAPPROF_LABELS=thread, else "". */
	char thread[LABELS_THREAD_NAME_BYTES];
	_Atomic uint64_t alloc_objects;
	_Atomic uint64_t free_objects;
	/* The counters as they were at the in-use peak (estimate.c). */
	uint64_t peak_alloc_objects;
	uint64_t peak_free_objects;
	/* What one of its objects stands for, unsampled at its rate (estimate.c): worked
	   out once per site rather than on every sample and free; weight_rate is the
	   rate it was worked out for, 0 until then. */
	_Atomic size_t weight_rate;
	_Atomic int64_t weight_bytes;
	_Atomic int64_t weight_units;
	struct site *next_site; /* the next older site of its shard (sites.c) */
	/* Its frees by lifetime, shortest bucket first, so that the frees of short-lived
	   blocks, the most frequent, find their count in a step or two; nodes are
	   inserted in order, without a lock, and never removed. */
	_Atomic(struct lifetime_count *) lifetimes;
};

/* Finds or creates the site and counts one allocation on it. `thread` is the
   allocating thread's name, or NULL when samples are not labelled by thread. NULL
   when out of memory. */
struct site *sites_record_alloc(const uintptr_t *pcs, unsigned depth, size_t size, size_t rate,
				const char *thread);

/* Counts one free of a block of `site` that lived `lifetime` (a bucket). The first
   free at a bucket takes the freeing thread's shard lock, or with `wait` false only
   tries it: a free that cannot wait (a signal handler's, inside the profiler) is then
   counted without its lifetime, which the profile shows as 0. */
void sites_record_free(struct site *site, uint64_t lifetime, bool wait);

/* Every site created so far: for (site = sites_first(); site; site = sites_next(site)).
   Safe to walk while others record; sites created meanwhile may or may not appear. */
struct site *sites_first(void);
struct site *sites_next(const struct site *site);

struct sites_counts {
	uint64_t stacks;
	uint64_t sites;
};
struct sites_counts sites_counts(void);

/* Around fork: no shard may be locked by a thread that does not exist in the child. */
void sites_lock_all(void);
void sites_unlock_all(void);

#endif
