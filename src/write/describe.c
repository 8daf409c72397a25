#include "describe.h"

#include <inttypes.h>

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

void describe_top_sites(struct pprof_buffer *text, const struct profile_request *request,
			unsigned sample_index, unsigned count)
{
	struct ranked_site ranked[DESCRIBE_MAX_SITES];
	unsigned ranked_count = 0;
	if (count > DESCRIBE_MAX_SITES)
		count = DESCRIBE_MAX_SITES;
	uint64_t sampled;
	for (const struct site *site = sites_first(); site && count; site = sites_next(site)) {
		struct ranked_site candidate = {.site = site};
		if (profile_site_values(site, request, candidate.values, &sampled))
			rank(ranked, &ranked_count, count, sample_index, &candidate);
	}
	pprof_printf(text,
		     "# the %u sites with the most %s, estimated from samples taken every %" PRIu64
		     " bytes on average\n",
		     ranked_count, sample_types[sample_index], (uint64_t)sampler_profile_rate());
	for (unsigned i = 0; i < ranked_count; i++)
		print_site(text, &ranked[i]);
}
