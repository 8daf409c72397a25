/* What happens to a sampled allocation and to the free of a sampled block: stack,
   site counters, the live table. */
#ifndef HEAPPROF_RECORDER_H
#define HEAPPROF_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sites.h"

/* Records a sampled allocation of `size` bytes at `pointer` (not NULL), made from
   return address `caller`. Keeps errno. */
void recorder_alloc(void *pointer, size_t size, uintptr_t caller);

/* For a block the live filter flagged, before it is released: counts the free if it
   was sampled. Returns false when the release must wait (the thread was interrupted
   inside the profiler; the block is released when it leaves). Keeps errno. */
bool recorder_free(void *pointer);

/* For realloc: detaches a flagged block's sample without counting a free yet.
   Returns its site, or NULL. */
struct site *recorder_detach(void *pointer);
/* The realloc went through: the old block is gone. */
void recorder_detached_freed(struct site *site);
/* The realloc failed: the old block is still live. */
void recorder_reattach(void *pointer, struct site *site);

/* Fork: no recording may be in flight while the process is copied. */
void recorder_fork_prepare(void);
void recorder_fork_parent(void);
void recorder_fork_child(void);

#endif
