/* Which live blocks were sampled, and from which site: lets free attribute a block
   back to its sample. */
#ifndef HEAPPROF_LIVE_H
#define HEAPPROF_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sites.h"

/* A filter over 1 KiB address slots, one bit each: free reads one word, shared and
   read-mostly, to learn that a block was not sampled — no lock, no write. 2^18 slots
   cover 256 MiB before slots repeat. A slot of 1 KiB rather than 64 bytes puts a
   heap's frees on an eighth as many cache lines, so fewer of them miss
   (docs/performance.md, "The fast path"). The price is the sampled blocks' neighbours
   in their slots, whose frees take the slow path: about slot/rate of all frees, 0.2%
   at the default rate. A word holds the bits of 32 slots, and in its other half a
   count of the changes that set one, which lets a bit be cleared without a lock
   (live.c). Slot s's bit is bit s % 64 of word s / 32 (the lower half of an even word,
   the upper of an odd one), so the shift needs no mask: x86's takes its count modulo
   64. */
#define LIVE_FILTER_BITS 18
#define LIVE_SLOT_SHIFT 10
#define LIVE_SLOT_BYTES ((uintptr_t)1 << LIVE_SLOT_SHIFT)
#define LIVE_WORD_SLOTS 32

extern _Atomic uint64_t live_filter[((size_t)1 << LIVE_FILTER_BITS) / LIVE_WORD_SLOTS]
	__attribute__((visibility("hidden")));

#define LIVE_FILTER_MASK (((uintptr_t)1 << LIVE_FILTER_BITS) - 1)

/* With `mask` 0 every pointer maps to slot 0, which is flagged for good (NULL's
   slot): a thread whose mask is still 0 takes the slow path. */
static inline bool live_maybe_sampled_masked(const void *pointer, uintptr_t mask)
{
	uintptr_t slot = ((uintptr_t)pointer >> LIVE_SLOT_SHIFT) & mask;
	uint64_t word = atomic_load_explicit(&live_filter[slot / LIVE_WORD_SLOTS], memory_order_relaxed);
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

/* Counts the free of a sampled block: called by an insertion or removal for each block
   it finds freed, its own caller's or one another thread queued. `wait` is the one the
   insertion or removal was given. */
typedef void live_count_free_fn(struct live_block block, bool wait);

/* An insertion or removal that finds its shard's lock held does not wait: it queues
   itself for the holder, who applies it before unlocking (docs/design.md, "Free: was
   this pointer sampled?"). With the queue full it waits for the lock, unless `wait`
   is false (a thread interrupted inside heapprof, which may hold that lock): then the
   insertion's block is counted as freed, and a removal leaves the entry behind. */
#define LIVE_QUEUE_SLOTS 32

/* Tracks `pointer` as sampled, its free to be counted through `count_free`. An entry
   the table already has for `pointer` is replaced, and its block counted as freed:
   the allocator gave the address out again, so the block it described was freed
   without its entry removed (a removal that could neither wait nor queue). A block the
   table has no room for is counted as freed at once. */
void live_insert(const void *pointer, struct live_block block, live_count_free_fn *count_free, bool wait);

/* Removes the block and returns it; its site is NULL when it was not sampled, or when
   the removal was queued: its free is then counted by the thread that applies it. */
struct live_block live_remove(const void *pointer, live_count_free_fn *count_free, bool wait);

/* The function that counts the frees a copy of the table applies (live_snapshot): set
   once at start-up, before any copy. */
void live_start(live_count_free_fn *count_free);

/* Copies up to `capacity` live blocks into `blocks`, each shard as it was at one
   moment, without its lock unless the shard changed on every try; returns how many
   there were, which is more than `capacity` when they did not fit. A shard copied
   under its lock has its queue applied, and the frees found counted, by the copying
   thread. */
size_t live_snapshot(struct live_block *blocks, size_t capacity);

/* Sampled blocks now live, read without a lock. */
uint64_t live_count(void);

/* Around fork: every shard locked, then unlocked without applying its queue. */
void live_lock_all(void);
void live_unlock_all(void);
/* In a fork's child, with the shards locked: the slots threads were filling are
   marked applied. */
void live_fork_child(void);
/* Applies what was queued while the shards were locked, each shard whose lock is free. */
void live_apply_queued(live_count_free_fn *count_free, bool wait);

#endif
