/* How old a site's in-use blocks are and how long its freed ones lived, in the
   buckets of record/labels.h: what the profile splits each site's sample by. */
#ifndef HEAPPROF_AGES_H
#define HEAPPROF_AGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/live.h"

/* `count` sampled blocks in one bucket (seconds, labelled by its lower bound). */
struct age_part {
	uint64_t bucket;
	uint64_t count;
};

/* The live table as it was at `now`, and room for one site's parts. */
struct ages {
	uint64_t now;              /* labels_clock */
	struct live_block *blocks; /* sorted by site, then oldest first */
	size_t block_count;
	struct age_part *parts;
	size_t part_capacity;
};

/* Copies the live table, at the profile's moment. False when memory ran out. */
bool ages_take(struct ages *ages);
void ages_free(struct ages *ages);

/* The parts of `site`, oldest first: its `inuse` in-use blocks by age (the first
   `*age_parts` parts), then its `freed` freed blocks by lifetime. The counts are made
   to add up to `inuse` and `freed` whatever was recorded meanwhile: blocks the live
   table lacks (sampled after the copy, or out of memory) and frees recorded without
   their lifetime count as 0 seconds, never as old; blocks the copy holds beyond
   `inuse` (freed meanwhile) are taken from the youngest. NULL when memory ran out. */
const struct age_part *ages_of_site(struct ages *ages, const struct site *site, uint64_t inuse,
				    uint64_t freed, size_t *age_parts, size_t *parts);

#endif
