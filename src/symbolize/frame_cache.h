/* What the symbolizer found at each address, kept so that the peak profile and
   later dumps name an address without asking libdw again: a lookup that walks a
   large compilation unit costs milliseconds. */
#ifndef HEAPPROF_FRAME_CACHE_H
#define HEAPPROF_FRAME_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hash_map.h"
#include "symbolize.h"

struct frame_cache_entry;

struct frame_cache {
	struct hash_map pcs; /* pc -> index in entries */
	struct frame_cache_entry **entries;
	size_t entries_capacity;
};

/* The frames stored for `pc`, or NULL if it was never looked up. */
const struct frame_cache_entry *frame_cache_find(const struct frame_cache *cache, uint64_t pc);

/* Calls `callback` for each stored frame, in the order they were added; their count. */
unsigned frame_cache_replay(const struct frame_cache_entry *entry, symbolize_callback *callback,
			    void *context);

/* An entry for `pc`, outside the cache until frame_cache_store: a lookup that runs
   out of memory halfway leaves nothing behind. NULL when out of memory. */
struct frame_cache_entry *frame_cache_entry_create(uint64_t pc);

/* Copies `frame` and its strings into `entry`. False when out of memory. */
bool frame_cache_add(struct frame_cache_entry *entry, const struct symbolized_frame *frame);

/* Puts `entry` (whose pc is not in the cache) into it, or frees it when out of memory. */
void frame_cache_store(struct frame_cache *cache, struct frame_cache_entry *entry);

void frame_cache_entry_free(struct frame_cache_entry *entry);

void frame_cache_clear(struct frame_cache *cache);

#endif
