#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_int.h"
#include "go_path.h"
#include "hash_map.h"
#include "reader/diag.h"
#include "sample_merge.h"

static uint32_t intern_info(struct node_space *space, const struct node_info *info, size_t *infos_capacity)
{
	/* Strings end in NUL, so joining them with their terminators is unambiguous. */
	const size_t lengths[4] = {strlen(info->name), strlen(info->orig_name), strlen(info->file),
				   strlen(info->objfile)};
	const char *strings[4] = {info->name, info->orig_name, info->file, info->objfile};
	int64_t numbers[3] = {(int64_t)info->address, info->start_line, info->lineno};
	size_t size = sizeof numbers + lengths[0] + lengths[1] + lengths[2] + lengths[3] + 4;
	char stack_key[512];
	char *key = size <= sizeof stack_key ? stack_key : diag_malloc(size);
	char *cursor = key;
	memcpy(cursor, numbers, sizeof numbers);
	cursor += sizeof numbers;
	for (int i = 0; i < 4; i++) {
		memcpy(cursor, strings[i], lengths[i] + 1);
		cursor += lengths[i] + 1;
	}
	uint32_t node = intern_table_add(&space->keys, key, size);
	if (key != stack_key)
		free(key);
	if (node == space->n_nodes) {
		space->infos =
			diag_grow(space->infos, infos_capacity, space->n_nodes + 1, sizeof *space->infos);
		space->infos[space->n_nodes++] = *info;
	}
	return node;
}

void graph_node_space_build(struct node_space *space, const struct profile *prof, describe_frame_fn *describe,
			    void *context)
{
	memset(space, 0, sizeof *space);
	intern_table_init(&space->keys);
	size_t frames = 0;
	for (size_t i = 0; i < prof->n_locations; i++)
		frames += prof->locations[i].n_lines ? prof->locations[i].n_lines : 1;
	space->location_first = diag_malloc((prof->n_locations + 1) * sizeof *space->location_first);
	space->line_nodes = diag_malloc(frames * sizeof *space->line_nodes);
	size_t infos_capacity = 0, next = 0;
	for (size_t i = 0; i < prof->n_locations; i++) {
		const struct profile_location *location = &prof->locations[i];
		space->location_first[i] = (uint32_t)next;
		struct node_info info;
		if (location->n_lines == 0) {
			describe(prof, location, NULL, &info, context);
			space->line_nodes[next++] = intern_info(space, &info, &infos_capacity);
		}
		for (size_t j = 0; j < location->n_lines; j++) {
			describe(prof, location, &location->lines[j], &info, context);
			space->line_nodes[next++] = intern_info(space, &info, &infos_capacity);
		}
	}
	space->location_first[prof->n_locations] = (uint32_t)next;
}

void graph_node_space_free(struct node_space *space)
{
	intern_table_free(&space->keys);
	free(space->infos);
	free(space->location_first);
	free(space->line_nodes);
	memset(space, 0, sizeof *space);
}

/* Adds one sample, walking its stack from the root as pprof does. stamp is
   unique to the sample, so that a node met twice counts once. */
static void add_sample(struct graph *g, const struct node_space *space, const struct profile_sample *sample,
		       int64_t weight, const bool *kept, size_t stamp)
{
	uint32_t leaf = NO_NODE;
	bool residual = false; /* the frame just below was a trimmed node */
	for (size_t i = sample->n_locations; i-- > 0;) {
		uint64_t location = sample->locations[i];
		uint32_t first = space->location_first[location], end = space->location_first[location + 1];
		for (uint32_t at = end; at-- > first;) {
			uint32_t node = space->line_nodes[at];
			if (kept && !kept[node]) {
				residual = true;
				continue;
			}
			if (g->last_sample[node] != stamp) {
				g->last_sample[node] = stamp;
				go_add(&g->cum[node], weight);
			}
			leaf = node;
			residual = false;
		}
	}
	if (leaf != NO_NODE && !residual)
		go_add(&g->flat[leaf], weight);
}

void graph_build(struct graph *g, const struct profile *prof, const struct node_space *space,
		 size_t value_index, const bool *kept)
{
	g->flat = diag_calloc(space->n_nodes, sizeof *g->flat);
	g->cum = diag_calloc(space->n_nodes, sizeof *g->cum);
	g->last_sample = diag_calloc(space->n_nodes, sizeof *g->last_sample);
	for (size_t s = 0; s < prof->n_samples; s++) {
		int64_t weight = prof->samples[s].values[value_index];
		if (weight != 0)
			add_sample(g, space, &prof->samples[s], weight, kept, s + 1);
	}
}

void graph_free(struct graph *g)
{
	free(g->flat);
	free(g->cum);
	free(g->last_sample);
	memset(g, 0, sizeof *g);
}

/* One caller->callee edge. */
struct call_edge {
	uint32_t callee;
	uint32_t last_sample; /* low bits of the stamp: enough to tell consecutive samples apart */
	int64_t weight;
	bool inlined; /* every call along this edge so far was inlined */
};

/* Top's hottest loop looks edges up here. */
struct call_table {
	struct hash_map keys; /* caller << 32 | callee -> index in edges */
	struct call_edge *edges;
	size_t capacity;
};

static struct call_edge *find_or_add_call(struct call_table *calls, uint32_t caller, uint32_t callee,
					  bool inlined)
{
	bool added;
	uint32_t index = hash_map_add_u64(&calls->keys, (uint64_t)caller << 32 | callee, &added);
	if (index == HASH_MAP_ABSENT)
		diag_die("out of memory");
	if (added) {
		calls->edges =
			diag_grow(calls->edges, &calls->capacity, (size_t)index + 1, sizeof *calls->edges);
		calls->edges[index] = (struct call_edge){callee, 0, 0, inlined};
	}
	return &calls->edges[index];
}

/* A node can be an inlined callee only if some location has it as a frame
   other than its outermost one. */
static bool *inline_capable_nodes(const struct node_space *space, size_t n_locations)
{
	bool *capable = diag_calloc(space->n_nodes, sizeof *capable);
	for (size_t i = 0; i < n_locations; i++)
		for (uint32_t at = space->location_first[i]; at + 1 < space->location_first[i + 1]; at++)
			capable[space->line_nodes[at]] = true;
	return capable;
}

/* Adds the calls of one sample into inline-capable nodes, as pprof's edges. */
static void add_sample_calls(struct call_table *calls, const struct node_space *space,
			     const struct profile_sample *sample, int64_t weight, const bool *kept,
			     const bool *capable, size_t stamp)
{
	uint32_t parent = NO_NODE;
	for (size_t i = sample->n_locations; i-- > 0;) {
		uint64_t location = sample->locations[i];
		uint32_t first = space->location_first[location], end = space->location_first[location + 1];
		for (uint32_t at = end; at-- > first;) {
			uint32_t node = space->line_nodes[at];
			if (kept && !kept[node])
				continue;
			if (capable[node] && parent != NO_NODE && node != parent) {
				bool inlined = at != end - 1; /* not the location's outermost frame */
				struct call_edge *edge = find_or_add_call(calls, parent, node, inlined);
				if (edge->last_sample != (uint32_t)stamp) {
					edge->last_sample = (uint32_t)stamp;
					go_add(&edge->weight, weight);
					edge->inlined = edge->inlined && inlined;
				}
			}
			parent = node;
		}
	}
}

/* Whether the samples' plain sum differs from their sum over samples
   merged as profile.Merge merges them, in absolute values: only with a
   negative value or a sum past int64, for otherwise each merged sum is its
   own absolute value. */
static bool merging_matters(const struct profile *prof, size_t value_index)
{
	int64_t total = 0;
	for (size_t s = 0; s < prof->n_samples; s++) {
		int64_t value = prof->samples[s].values[value_index];
		if (value < 0 || __builtin_add_overflow(total, value, &total))
			return true;
	}
	return false;
}

unsigned char *graph_classify_calls(const struct profile *prof, const struct node_space *space,
				    size_t value_index, const bool *kept, int64_t cutoff)
{
	bool *capable = inline_capable_nodes(space, prof->n_locations);
	/* pprof walks merged samples: one whose values cancel out adds no call,
	   and no call's inlining. */
	int64_t *merged = merging_matters(prof, value_index) ? sample_merge_weights(prof, value_index) : NULL;
	struct call_table calls = {0};
	for (size_t s = 0; s < prof->n_samples; s++) {
		int64_t weight = merged ? merged[s] : prof->samples[s].values[value_index];
		if (weight != 0)
			add_sample_calls(&calls, space, &prof->samples[s], weight, kept, capable, s + 1);
	}
	free(merged);
	unsigned char *kinds = diag_calloc(space->n_nodes, 1);
	for (uint32_t i = 0; i < calls.keys.count; i++) {
		const struct call_edge *edge = &calls.edges[i];
		if (go_abs(edge->weight) >= cutoff)
			kinds[edge->callee] |= edge->inlined ? CALLS_INLINED : CALLS_NOT_INLINED;
	}
	hash_map_free(&calls.keys);
	free(calls.edges);
	free(capable);
	return kinds;
}

int64_t graph_profile_total(const struct profile *prof, size_t value_index)
{
	if (merging_matters(prof, value_index))
		return sample_merge_total(prof, value_index);
	int64_t total = 0, diff_base_total = 0;
	for (size_t s = 0; s < prof->n_samples; s++) {
		int64_t value = prof->samples[s].values[value_index];
		total += value;
		if (sample_merge_is_diff_base(prof, prof->samples[s].message))
			diff_base_total += value;
	}
	return diff_base_total > 0 ? diff_base_total : total;
}

char *graph_node_printable_name(const struct node_info *info)
{
	char address[32] = "";
	if (info->address)
		snprintf(address, sizeof address, "%016llx", (unsigned long long)info->address);
	char *where;
	if (info->lineno)
		where = diag_asprintf("%s:%lld", info->file, (long long)info->lineno);
	else if (info->file[0])
		where = diag_strdup(info->file);
	else if (info->name[0])
		where = diag_strdup("");
	else if (info->objfile[0]) {
		char *base = go_path_base(info->objfile);
		where = diag_asprintf("[%s]", base);
		free(base);
	} else
		where = diag_strdup("<unknown>");
	const char *parts[3] = {address, info->name, where};
	size_t size = 1;
	for (int i = 0; i < 3; i++)
		size += strlen(parts[i]) + 1;
	char *name = diag_malloc(size);
	name[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (!parts[i][0])
			continue;
		if (name[0])
			strcat(name, " ");
		strcat(name, parts[i]);
	}
	free(where);
	return name;
}

static char *go_struct_text(const struct node_info *info)
{
	return diag_asprintf("{%s %s %llu %s %lld %lld %s}", info->name, info->orig_name,
			     (unsigned long long)info->address, info->file, (long long)info->start_line,
			     (long long)info->lineno, info->objfile);
}

int graph_node_info_compare(const struct node_info *left, const struct node_info *right)
{
	char *left_text = go_struct_text(left), *right_text = go_struct_text(right);
	int order = strcmp(left_text, right_text);
	free(left_text);
	free(right_text);
	return order;
}
