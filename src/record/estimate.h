/* The live heap estimated from the samples, its high-water mark, and a copy of every
   site's counters taken near that mark, for the peak profile. Each thread keeps its
   own part (summed through the thread registry when read) and adds it to a shared sum
   only when it has changed by 64 KiB or might set a new peak, so that recording every
   allocation on many threads does not serialise on one cache line; the peak is
   tracked on that sum. */
#ifndef HEAPPROF_ESTIMATE_H
#define HEAPPROF_ESTIMATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sites.h"
#include "thread_registry.h"
#include "thread_state.h"

struct estimate {
	uint64_t inuse_bytes;
	uint64_t inuse_objects;
	uint64_t peak_inuse_bytes;
	uint64_t samples;
};

/* A sampled allocation was recorded on `site`. Returns its estimated weight in bytes
   (what it stands for, unsampled). */
uint64_t estimate_add(struct site *site);
/* A sampled block of `site` was freed. */
void estimate_remove(struct site *site);

struct estimate estimate_read(void);
/* The same from totals already read: counts read with it from one walk of the
   registry agree with it (no more samples than allocations). */
struct estimate estimate_of(const struct thread_totals *totals);

/* Adds all of the thread's part to the shared sum: it is exiting. */
void estimate_publish_all(struct thread_state *state);

/* The snapshot's lock. Taken around fork too (lifecycle.c), after the dump's lock and
   before the tables' (a dump reads them holding it): a thread that exits, or frees,
   past the peak takes the snapshot outside any recording, and a child that
   inherited its lock held would wait for it at its exit, writing the peak profile. */
void estimate_lock_snapshot(void);
void estimate_unlock_snapshot(void);

/* Whether a peak snapshot exists; if so, it is held (estimate_unlock_snapshot
   releases it) and site peak counters are stable: hold it around reading them. */
bool estimate_hold_peak(void);

#endif
