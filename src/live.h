/* Which live blocks were sampled, and from which site: lets free attribute a block
   back to its sample. */
#ifndef HEAPPROF_LIVE_H
#define HEAPPROF_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sites.h"

/* A filter over 64-byte address slots, one bit each: free reads one word, shared and
   read-mostly, to learn that a block was not sampled — no lock, no write. A bit per
   slot keeps the whole filter (32 KiB) within the first-level cache, where a byte
   per slot missed it on almost every free of a large heap; adjacent blocks share a
   word, so a run of frees stays in cache. */
#define LIVE_FILTER_BITS 18

extern _Atomic uint64_t live_filter[((size_t)1 << LIVE_FILTER_BITS) / 64] __attribute__((visibility("hidden")));

#define LIVE_FILTER_MASK (((uintptr_t)1 << LIVE_FILTER_BITS) - 1)

/* With `mask` 0 every pointer maps to slot 0, which is flagged for good (NULL's
   slot): a thread whose mask is still 0 takes the slow path. */
static inline bool live_maybe_sampled_masked(const void *pointer, uintptr_t mask)
{
	uintptr_t slot = ((uintptr_t)pointer >> 6) & mask;
	uint64_t word = atomic_load_explicit(&live_filter[slot / 64], memory_order_relaxed);
	return (word >> (slot % 64)) & 1;
}

static inline bool live_maybe_sampled(const void *pointer)
{
	return live_maybe_sampled_masked(pointer, LIVE_FILTER_MASK);
}

/* Flags the slot of `pointer` for good, so free takes its slow path: used for NULL
   and for bootstrap blocks, which then cost the free fast path no test of their own. */
void live_flag_forever(const void *pointer);

/* False when out of memory (the sample is then not tracked for frees). */
bool live_insert(const void *pointer, struct site *site);

/* Removes the block and returns its site, or NULL when it was not sampled.
   With `wait` false, returns LIVE_BUSY instead of blocking on a held lock. */
#define LIVE_BUSY ((struct site *)1)
struct site *live_remove(const void *pointer, bool wait);

/* Sampled blocks now live; takes every shard's lock in turn. */
uint64_t live_count(void);

void live_lock_all(void);
void live_unlock_all(void);

#endif
