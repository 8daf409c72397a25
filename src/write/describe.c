#include "describe.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash_map.h"
#include "record/sampler.h"

static const char *const sample_types[] = {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"};

struct ranked_site {
	const struct site *site;
	uint64_t values[4];
};

/* Keeps `ranked` sorted by the value of `sample_index`, largest first, at most `count` long. */
static void rank(struct ranked_site *ranked, unsigned *ranked_count, unsigned count, unsigned sample_index,
		 const struct ranked_site *candidate)
{
	unsigned position = *ranked_count;
	while (position > 0 && ranked[position - 1].values[sample_index] < candidate->values[sample_index])
		position--;
	if (position >= count)
		return;
	unsigned last = *ranked_count < count ? *ranked_count : count - 1;
	for (unsigned i = last; i > position; i--)
		ranked[i] = ranked[i - 1];
	ranked[position] = *candidate;
	if (*ranked_count < count)
		(*ranked_count)++;
}

static void print_frame(void *context, const struct symbolized_frame *frame)
{
	struct pprof_buffer *text = context;
	const char *name = frame->function ? frame->function : frame->system_name;
	pprof_printf(text, "\t\t%s", name ? name : "?");
	if (frame->file)
		pprof_printf(text, " %s:%" PRId64, frame->file, frame->line);
	pprof_append(text, "\n", 1);
}

static void print_site(struct pprof_buffer *text, const struct ranked_site *ranked)
{
	const struct stack *stack = ranked->site->stack;
	pprof_printf(text,
		     "%" PRIu64 " bytes in %" PRIu64 " objects in use, %" PRIu64 " bytes in %" PRIu64
		     " objects allocated, in blocks of %zu bytes, at\n",
		     ranked->values[DESCRIBE_INUSE_SPACE], ranked->values[DESCRIBE_INUSE_OBJECTS],
		     ranked->values[DESCRIBE_ALLOC_SPACE], ranked->values[DESCRIBE_ALLOC_OBJECTS],
		     ranked->site->size);
	for (unsigned i = 0; i < stack->depth; i++) {
		pprof_printf(text, "\t%#" PRIxPTR "\n", stack->pcs[i]);
		profile_symbolize(stack->pcs[i], print_frame, text);
	}
}

/* A stack and size, whichever threads' sites and rates it was sampled in: each thread
   keeps sites of its own (record/sites.c), and a person reads a row per stack. */
struct rows {
	struct hash_map map;
	struct ranked_site *rows; /* by the map's index; `site` is the first one seen */
	size_t capacity;
};

static bool same_row(const void *context, const void *key, uint32_t index)
{
	const struct site *site = key, *first = ((const struct rows *)context)->rows[index].site;
	return first->size == site->size && first->stack->depth == site->stack->depth &&
	       memcmp(first->stack->pcs, site->stack->pcs, site->stack->depth * sizeof *site->stack->pcs) ==
		       0;
}

/* Adds the site's values to its row; false when out of memory. */
static bool add_to_row(struct rows *rows, const struct site *site, const uint64_t values[4])
{
	uint64_t hash = hash_map_hash_u64(site->stack->hash ^ site->size * 0x9e3779b97f4a7c15ULL);
	bool added;
	uint32_t index = hash_map_add(&rows->map, hash, same_row, rows, site, &added);
	if (index == HASH_MAP_ABSENT)
		return false;
	if (added && index >= rows->capacity) {
		size_t capacity = rows->capacity ? 2 * rows->capacity : 256;
		struct ranked_site *grown = realloc(rows->rows, capacity * sizeof *grown);
		if (!grown)
			return false;
		rows->rows = grown;
		rows->capacity = capacity;
	}
	if (added)
		rows->rows[index] = (struct ranked_site){.site = site};
	for (unsigned i = 0; i < 4; i++)
		rows->rows[index].values[i] += values[i];
	return true;
}

void describe_top_sites(struct pprof_buffer *text, const struct profile_request *request,
			unsigned sample_index, unsigned count)
{
	struct ranked_site ranked[DESCRIBE_MAX_SITES];
	unsigned ranked_count = 0;
	if (count > DESCRIBE_MAX_SITES)
		count = DESCRIBE_MAX_SITES;
	struct rows rows = {.capacity = 0};
	uint64_t values[4], sampled;
	for (const struct site *site = sites_first(); site && count; site = sites_next(site)) {
		if (profile_site_values(site, request, values, &sampled) &&
		    !add_to_row(&rows, site, values)) {
			pprof_printf(text, "# out of memory\n");
			break;
		}
	}
	/* A row the map has but whose array could not grow is the failed one. */
	for (uint32_t i = 0; i < rows.map.count && i < rows.capacity; i++)
		rank(ranked, &ranked_count, count, sample_index, &rows.rows[i]);
	hash_map_free(&rows.map);
	free(rows.rows);
	pprof_printf(text,
		     "# the %u sites with the most %s, estimated from samples taken every %" PRIu64
		     " bytes on average\n",
		     ranked_count, sample_types[sample_index], (uint64_t)sampler_profile_rate());
	for (unsigned i = 0; i < ranked_count; i++)
		print_site(text, &ranked[i]);
}
