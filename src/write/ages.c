#include "ages.h"

#include <stdlib.h>

#include "record/labels.h"

/* A few more than live_count says, for blocks sampled while the copy is made. */
#define SNAPSHOT_SLACK 256
#define SNAPSHOT_ATTEMPTS 4

static int by_site_then_birth(const void *left, const void *right)
{
	const struct live_block *a = left, *b = right;
	if (a->site != b->site)
		return (uintptr_t)a->site < (uintptr_t)b->site ? -1 : 1;
	return a->born < b->born ? -1 : a->born > b->born;
}

static bool grow(void **array, size_t *capacity, size_t needed, size_t size)
{
	if (needed <= *capacity)
		return true;
	size_t doubled = *capacity ? *capacity * 2 : 64;
	size_t wanted = doubled > needed ? doubled : needed;
	void *grown = realloc(*array, wanted * size);
	if (!grown)
		return false;
	*array = grown;
	*capacity = wanted;
	return true;
}

/* The lifetime counts are read before the frees: a free is counted in free_objects
   first and at its lifetime second (sites_record_free), so they can only come up
   short, and the shortfall shows as 0 seconds, never as old. */
static bool read_site(struct ages *ages, const struct site *site)
{
	if (!grow((void **)&ages->sites, &ages->site_capacity, ages->site_count + 1, sizeof *ages->sites))
		return false;
	struct aged_site *aged = &ages->sites[ages->site_count++];
	*aged = (struct aged_site){.site = site, .first_lifetime = ages->lifetime_count};
	for (const struct lifetime_count *count =
		     atomic_load_explicit(&site->lifetimes, memory_order_acquire);
	     count; count = atomic_load_explicit(&count->next, memory_order_acquire)) {
		uint64_t frees = atomic_load_explicit(&count->frees, memory_order_acquire);
		if (!frees)
			continue;
		if (!grow((void **)&ages->lifetimes, &ages->lifetime_capacity, ages->lifetime_count + 1,
			  sizeof *ages->lifetimes))
			return false;
		ages->lifetimes[ages->lifetime_count++] = (struct age_part){count->bucket, frees};
		aged->lifetime_count++;
	}
	aged->frees = atomic_load_explicit(&site->free_objects, memory_order_relaxed);
	aged->allocs = atomic_load_explicit(&site->alloc_objects, memory_order_relaxed);
	return true;
}

/* Moves the larger of block `top`'s children up until it is larger than both. */
static void sift_down(struct live_block *blocks, size_t top, size_t count)
{
	for (size_t child; (child = 2 * top + 1) < count; top = child) {
		if (child + 1 < count && by_site_then_birth(&blocks[child], &blocks[child + 1]) < 0)
			child++;
		if (by_site_then_birth(&blocks[top], &blocks[child]) >= 0)
			return;
		struct live_block larger = blocks[child];
		blocks[child] = blocks[top];
		blocks[top] = larger;
	}
}

/* A heapsort, in place: glibc's qsort takes a copy's worth of memory from malloc, which
   for a large live table is mapped and unmapped on every profile. */
static void sort_blocks(struct live_block *blocks, size_t count)
{
	for (size_t top = count / 2; top-- > 0;)
		sift_down(blocks, top, count);
	for (size_t end = count; end-- > 1;) {
		struct live_block largest = blocks[0];
		blocks[0] = blocks[end];
		blocks[end] = largest;
		sift_down(blocks, 0, end);
	}
}

/* Every attempt has room for what the last found and a quarter more: a table that
   keeps growing faster than that leaves out the blocks sampled last. */
static bool copy_live_table(struct ages *ages)
{
	size_t capacity = live_count() + SNAPSHOT_SLACK, found = 0;
	for (int attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
		if (capacity > ages->block_capacity) {
			struct live_block *blocks = realloc(ages->blocks, capacity * sizeof *blocks);
			if (!blocks)
				return false;
			ages->blocks = blocks;
			ages->block_capacity = capacity;
		}
		found = live_snapshot(ages->blocks, ages->block_capacity);
		if (found <= ages->block_capacity)
			break;
		capacity = found + found / 4 + SNAPSHOT_SLACK;
	}
	ages->block_count = found < ages->block_capacity ? found : ages->block_capacity;
	sort_blocks(ages->blocks, ages->block_count);
	return true;
}

/* The counters before the live table: a block the table gains meanwhile was sampled
   after its site was read, so it is younger than every block the counters include. */
bool ages_take(struct ages *ages)
{
	ages->now = labels_clock();
	ages->site_count = ages->lifetime_count = ages->block_count = 0;
	bool ok = true;
	for (const struct site *site = sites_first(); site && ok; site = sites_next(site))
		ok = read_site(ages, site);
	if (!ok || !copy_live_table(ages)) {
		ages_free(ages);
		return false;
	}
	return true;
}

void ages_free(struct ages *ages)
{
	free(ages->sites);
	free(ages->lifetimes);
	free(ages->blocks);
	free(ages->parts);
	*ages = (struct ages){0};
}

/* Adds `count` blocks at `bucket` after `*used` parts, merging with the last part
   when it has the same bucket. */
static bool add_part(struct ages *ages, size_t first, size_t *used, uint64_t bucket, uint64_t count)
{
	if (*used > first && ages->parts[*used - 1].bucket == bucket) {
		ages->parts[*used - 1].count += count;
		return true;
	}
	if (!grow((void **)&ages->parts, &ages->part_capacity, *used + 1, sizeof *ages->parts))
		return false;
	ages->parts[(*used)++] = (struct age_part){bucket, count};
	return true;
}

/* The first block of `site` in the sorted copy, or block_count. */
static size_t first_block(const struct ages *ages, const struct site *site)
{
	size_t low = 0, high = ages->block_count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if ((uintptr_t)ages->blocks[middle].site < (uintptr_t)site)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

/* Parts [first, *used), oldest first, made to count `total`: the oldest kept as they
   are, the youngest cut, what is missing added at 0 seconds. */
static bool fit(struct ages *ages, size_t first, size_t *used, uint64_t total)
{
	size_t kept = first;
	uint64_t remaining = total;
	for (size_t i = first; i < *used && remaining; i++) {
		uint64_t count = ages->parts[i].count < remaining ? ages->parts[i].count : remaining;
		ages->parts[kept++] = (struct age_part){ages->parts[i].bucket, count};
		remaining -= count;
	}
	*used = kept;
	return !remaining || add_part(ages, first, used, 0, remaining);
}

static bool add_ages(struct ages *ages, const struct site *site, size_t *used)
{
	for (size_t i = first_block(ages, site); i < ages->block_count && ages->blocks[i].site == site; i++) {
		if (!add_part(ages, 0, used, labels_age_bucket(ages->blocks[i].born, ages->now), 1))
			return false;
	}
	return true;
}

static int oldest_first(const void *left, const void *right)
{
	const struct age_part *a = left, *b = right;
	return a->bucket > b->bucket ? -1 : a->bucket < b->bucket;
}

static bool add_lifetimes(struct ages *ages, const struct aged_site *aged, size_t first, size_t *used)
{
	for (size_t i = 0; i < aged->lifetime_count; i++) {
		const struct age_part *lifetime = &ages->lifetimes[aged->first_lifetime + i];
		if (!add_part(ages, first, used, lifetime->bucket, lifetime->count))
			return false;
	}
	qsort(ages->parts + first, *used - first, sizeof *ages->parts, oldest_first);
	return true;
}

const struct age_part *ages_of_site(struct ages *ages, const struct aged_site *aged, uint64_t inuse,
				    uint64_t freed, size_t *age_parts, size_t *parts)
{
	size_t used = 0;
	if (!add_ages(ages, aged->site, &used) || !fit(ages, 0, &used, inuse))
		return NULL;
	*age_parts = used;
	if (!add_lifetimes(ages, aged, *age_parts, &used) || !fit(ages, *age_parts, &used, freed))
		return NULL;
	*parts = used;
	return ages->parts;
}
