/* What happens to a sampled allocation and to the free of a sampled block: stack,
   site counters, the live table. */
#ifndef HEAPPROF_RECORDER_H
#define HEAPPROF_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "live.h"

/* At start-up: the live table's copies count the frees they apply as a free does. */
void recorder_start(void);

/* A sampled allocation is recorded in two calls with the stack capture between them,
   made by the allocation entry's slow path itself (unwind_capture says why):
   recorder_begin marks the thread busy, so that what the unwinder allocates is not
   sampled, and returns the thread's capture buffer, or NULL when nothing is to be
   captured or recorded (a fork waits; no buffer); recorder_alloc then records the
   allocation of `size` bytes at `pointer` (not NULL), sampled at `rate`, from `pcs`,
   if begin said so, and ends it. Both keep errno. */
struct recording {
	int saved_errno;
	bool nested;
	bool active;
};
uintptr_t *recorder_begin(struct recording *recording);
void recorder_alloc(struct recording *recording, void *pointer, size_t size, size_t rate,
		    const uintptr_t *pcs, unsigned depth);

/* For a block the live filter flagged, before it is released: counts the free if it
   was sampled, now or, when another thread holds the live table's shard, once that
   thread has applied it. Keeps errno. */
void recorder_free(void *pointer);

/* For realloc: detaches a flagged block's sample without counting a free yet.
   Returns it; its site is NULL when the block was not sampled, or when the removal
   was queued behind another thread's hold: the free is then counted by the thread
   that applies it, even should the realloc fail (docs/accuracy.md). */
struct live_block recorder_detach(void *pointer);
/* The realloc went through: the old block is gone. */
void recorder_detached_freed(struct live_block block);
/* The realloc failed: the old block is still live. */
void recorder_reattach(void *pointer, struct live_block block);

/* Fork: no recording may be in flight while the process is copied. */
void recorder_fork_prepare(void);
void recorder_fork_parent(void);
void recorder_fork_child(void);

#endif
