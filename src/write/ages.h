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

/* A site's counters as ages_take read them: its lifetimes first, then its frees, then
   its allocations, so that the lifetimes never add up to more than the frees. */
struct aged_site {
	const struct site *site;
	uint64_t allocs, frees;
	size_t first_lifetime, lifetime_count; /* in ages.lifetimes */
};

/* Every site's counters, then the live table, as they were at the profile's moment.
   Zero-initialized, it holds nothing; its arrays are kept from one ages_take to the
   next, until ages_free. */
struct ages {
	uint64_t now;            /* labels_clock, before anything was read */
	struct aged_site *sites; /* in the order of sites_first / sites_next */
	size_t site_count, site_capacity;
	struct age_part *lifetimes; /* each site's, in its own order */
	size_t lifetime_count, lifetime_capacity;
	struct live_block *blocks; /* sorted by site, then oldest first */
	size_t block_count, block_capacity;
	struct age_part *parts;
	size_t part_capacity;
};

/* Reads every site's counters, then copies the live table, into the arrays `ages`
   already has where they are large enough. False, with everything freed, when memory
   ran out. */
bool ages_take(struct ages *ages);
void ages_free(struct ages *ages);

/* The parts of `aged`, oldest first: its `inuse` in-use blocks by age (the first
   `*age_parts` parts), then its `freed` freed blocks by lifetime. The counts are made
   to add up to `inuse` and `freed`, never showing a block older than it is: the live
   table, copied after the counters were read, may lack blocks (freed meanwhile and
   sampled again, or out of memory), which count as 0 seconds; the blocks it holds
   beyond `inuse` were sampled after the counters were read, the youngest, and are cut.
   Frees recorded without their lifetime count as 0 seconds. NULL when memory ran out. */
const struct age_part *ages_of_site(struct ages *ages, const struct aged_site *aged, uint64_t inuse,
				    uint64_t freed, size_t *age_parts, size_t *parts);

#endif
