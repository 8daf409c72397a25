/* Which live blocks were sampled, and from which site: lets free attribute a block
   back to its sample. */
#ifndef HEAPPROF_LIVE_H
#define HEAPPROF_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sites.h"

/* A filter over 1 KiB address slots, one bit each: free reads one word, shared and
   read-mostly, to learn that a block was not sampled — no lock, no write. 2^18 bits
   (32 KiB) cover 256 MiB before slots repeat. A slot of 1 KiB rather than 64 bytes
   puts a heap's frees on an eighth as many cache lines (an 18 MiB heap touches 2 KiB
   of filter, not all 32 KiB, which is the whole first-level cache), so fewer of them
   miss (docs/performance.md, "The fast path"). The price is the sampled blocks'
   neighbours in their slots, whose frees take the slow path: about slot/rate of all
   frees, 0.2% at the default rate. */
#define LIVE_FILTER_BITS 18
#define LIVE_SLOT_SHIFT 10
#define LIVE_SLOT_BYTES ((uintptr_t)1 << LIVE_SLOT_SHIFT)

extern _Atomic uint64_t live_filter[((size_t)1 << LIVE_FILTER_BITS) / 64]
	__attribute__((visibility("hidden")));

#define LIVE_FILTER_MASK (((uintptr_t)1 << LIVE_FILTER_BITS) - 1)

/* With `mask` 0 every pointer maps to slot 0, which is flagged for good (NULL's
   slot): a thread whose mask is still 0 takes the slow path. */
static inline bool live_maybe_sampled_masked(const void *pointer, uintptr_t mask)
{
	uintptr_t slot = ((uintptr_t)pointer >> LIVE_SLOT_SHIFT) & mask;
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

/* A sampled live block: its site and when it was sampled (labels_clock). */
struct live_block {
	struct site *site;
	uint64_t born;
};

/* False when out of memory (the sample is then not tracked for frees). An entry the
   table already has for `pointer` is replaced, and its block stored in `*replaced`
   (else a NULL site): the allocator gave the address out again, so the block it
   described was freed without its entry removed (a free that could not wait for a
   lock, recorder.c), and that free is yet to be counted. */
bool live_insert(const void *pointer, struct live_block block, struct live_block *replaced);

/* Removes the block and returns it; its site is NULL when it was not sampled.
   With `wait` false, the site is LIVE_BUSY instead of blocking on a held lock. */
#define LIVE_BUSY ((struct site *)1)
struct live_block live_remove(const void *pointer, bool wait);

/* Copies up to `capacity` live blocks into `blocks`, each shard as it was at one
   moment, without its lock unless the shard changed on every try; returns how many
   there were, which is more than `capacity` when they did not fit. */
size_t live_snapshot(struct live_block *blocks, size_t capacity);

/* Sampled blocks now live, read without a lock. */
uint64_t live_count(void);

void live_lock_all(void);
void live_unlock_all(void);

#endif
