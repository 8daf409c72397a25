#include "profile.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ages.h"
#include "common/hash_map.h"
#include "descriptors.h"
#include "options.h"
#include "record/modules.h"
#include "record/sampler.h"
#include "record/sites.h"
#include "symbolize/libdw_api.h"
#include "symbolize/symbolize.h"

/* `array`, of `*capacity` elements of `size` bytes, with room for element `index`:
   doubled (or created with `initial`) when full. NULL when out of memory; `array` is
   then left as it was. */
static void *room_for(void *array, size_t *capacity, size_t index, size_t size, size_t initial)
{
	if (index < *capacity)
		return array;
	size_t doubled = *capacity ? *capacity * 2 : initial;
	void *grown = realloc(array, doubled * size);
	if (grown)
		*capacity = doubled;
	return grown;
}

/* profile.proto field numbers. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	LABEL_NUM_UNIT = 4,
	MAPPING_ID = 1,
	MAPPING_START = 2,
	MAPPING_LIMIT = 3,
	MAPPING_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

/* String indices of the label keys and unit. */
struct label_strings {
	int64_t bytes; /* the key of every sample's size */
	int64_t age, lifetime, seconds, thread;
};

struct builder {
	struct pprof_buffer *profile;
	struct profile_workspace *tables;
	struct label_strings labels;
	/* The live table at the profile's moment, for the age labels of PROFILE_CURRENT;
	   NULL in the other views, which have no such copy. */
	struct ages *ages;
	const struct module *modules;
	size_t module_count;
	bool *module_symbolized;
	size_t pending_count; /* in tables->pending_pcs */
	/* The location ids of the last sample's stack: sites come one per size, and
	   consecutive sites often share their stack. */
	const struct stack *ids_stack;
	uint64_t stack_ids[OPTIONS_MAX_DEPTH];
	bool failed;
};

/* A text whose copy failed is NULL: it matches nothing, and the profile is not
   written (builder->failed). */
static bool same_string(const void *context, const void *key, uint32_t index)
{
	char *const *string_text = context;
	return string_text[index + 1] && strcmp(string_text[index + 1], key) == 0;
}

/* String table index (0 for ""). Room for the text comes first, so that the map
   never holds an index without its slot. */
static int64_t string_index(struct builder *builder, const char *text)
{
	if (!text || !*text)
		return 0;
	char **texts = room_for(builder->tables->string_text, &builder->tables->string_capacity,
				builder->tables->strings.count + 1, sizeof *texts, 1024);
	if (!texts) {
		builder->failed = true;
		return 0;
	}
	builder->tables->string_text = texts;
	bool created;
	uint32_t index = hash_map_add(&builder->tables->strings, hash_map_hash_bytes(text, strlen(text)),
				      same_string, builder->tables->string_text, text, &created);
	if (index == HASH_MAP_ABSENT) {
		builder->failed = true;
		return 0;
	}
	uint64_t id = (uint64_t)index + 1;
	if (created) {
		builder->tables->string_text[id] = strdup(text);
		if (!builder->tables->string_text[id])
			builder->failed = true;
	}
	return (int64_t)id;
}

static void value_type(struct builder *builder, unsigned field, const char *type, const char *unit)
{
	struct pprof_buffer message = {0};
	pprof_int(&message, VALUE_TYPE_TYPE, string_index(builder, type));
	pprof_int(&message, VALUE_TYPE_UNIT, string_index(builder, unit));
	pprof_message(builder->profile, field, &message);
	pprof_buffer_free(&message);
}

void profile_unsample(uint64_t count, uint64_t bytes, uint64_t rate, uint64_t *scaled_count,
		      uint64_t *scaled_bytes)
{
	*scaled_count = count;
	*scaled_bytes = count ? bytes : 0;
	if (count == 0)
		return;
	double scale = sampler_unsampling_scale((double)bytes / (double)count, rate);
	/* Unscaled values stay exact: a double holds only 53 bits. */
	if (scale == 1)
		return;
	*scaled_count = (uint64_t)((double)count * scale);
	*scaled_bytes = (uint64_t)((double)bytes * scale);
}

static uint64_t location_id(struct builder *builder, uint64_t pc)
{
	bool created;
	uint32_t index = hash_map_add_u64(&builder->tables->locations, pc, &created);
	if (index == HASH_MAP_ABSENT) {
		builder->failed = true;
		return 0;
	}
	uint64_t id = (uint64_t)index + 1;
	if (created) {
		uint64_t *pcs = room_for(builder->tables->pending_pcs, &builder->tables->pending_capacity,
					 builder->pending_count, sizeof *pcs, 1024);
		if (!pcs) {
			builder->failed = true;
			return id;
		}
		builder->tables->pending_pcs = pcs;
		builder->tables->pending_pcs[builder->pending_count++] = pc;
	}
	return id;
}

/* Every site's allocation count at one moment, sorted by site for the lookups of
   PROFILE_DELTA. */
struct base_entry {
	const struct site *site;
	uint64_t alloc_objects;
};

struct profile_base {
	int64_t taken_nanos;
	size_t count;
	struct base_entry entries[];
};

static int by_site(const void *left, const void *right)
{
	const struct base_entry *a = left, *b = right;
	return (uintptr_t)a->site < (uintptr_t)b->site ? -1 : (uintptr_t)a->site > (uintptr_t)b->site;
}

static int64_t now_nanos(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

struct profile_base *profile_base_take(void)
{
	/* Sites created during the walk may or may not be seen: room for some more. */
	size_t capacity = sites_counts().sites + 1024;
	struct profile_base *base = malloc(sizeof *base + capacity * sizeof base->entries[0]);
	if (!base)
		return NULL;
	base->taken_nanos = now_nanos();
	base->count = 0;
	for (const struct site *site = sites_first(); site && base->count < capacity;
	     site = sites_next(site)) {
		base->entries[base->count++] = (struct base_entry){
			site, atomic_load_explicit(&site->alloc_objects, memory_order_relaxed)};
	}
	qsort(base->entries, base->count, sizeof base->entries[0], by_site);
	return base;
}

void profile_base_free(struct profile_base *base)
{
	free(base);
}

static uint64_t base_allocations(const struct profile_base *base, const struct site *site)
{
	struct base_entry key = {site, 0};
	const struct base_entry *found = bsearch(&key, base->entries, base->count, sizeof key, by_site);
	return found ? found->alloc_objects : 0;
}

/* A site's sampled allocations in the request's view, and how many of its blocks are
   in use, from its counters `allocs` and `frees`; false when it has nothing in the view. */
static bool counts_in_view(const struct site *site, const struct profile_request *request, uint64_t allocs,
			   uint64_t frees, uint64_t *allocated, uint64_t *inuse)
{
	if (frees > allocs)
		frees = allocs;
	*allocated = allocs;
	if (request->view == PROFILE_DELTA) {
		uint64_t before = base_allocations(request->base, site);
		*allocated = allocs > before ? allocs - before : 0;
	}
	*inuse = allocs - frees;
	return *allocated || *inuse;
}

static bool site_counts(const struct site *site, const struct profile_request *request, uint64_t *allocated,
			uint64_t *inuse)
{
	bool peak = request->view == PROFILE_PEAK;
	uint64_t allocs = peak ? site->peak_alloc_objects
			       : atomic_load_explicit(&site->alloc_objects, memory_order_relaxed);
	uint64_t frees = peak ? site->peak_free_objects
			      : atomic_load_explicit(&site->free_objects, memory_order_relaxed);
	return counts_in_view(site, request, allocs, frees, allocated, inuse);
}

/* Each site is unsampled at its own rate, so samples taken before a rate change keep
   their weight. Sites that differ only in rate are separate Samples with the same
   stack and label, which pprof adds up. */
static void unsample_site(const struct site *site, uint64_t allocated, uint64_t inuse, uint64_t values[4])
{
	profile_unsample(allocated, allocated * site->size, site->rate, &values[0], &values[1]);
	profile_unsample(inuse, inuse * site->size, site->rate, &values[2], &values[3]);
}

bool profile_site_values(const struct site *site, const struct profile_request *request, uint64_t values[4],
			 uint64_t *sampled)
{
	uint64_t allocated, inuse;
	if (!site_counts(site, request, &allocated, &inuse))
		return false;
	unsample_site(site, allocated, inuse, values);
	*sampled = allocated;
	return true;
}

static void add_label(struct builder *builder, struct pprof_buffer *sample, int64_t key, int64_t text,
		      int64_t number, int64_t unit)
{
	struct pprof_buffer *label = &builder->tables->label;
	pprof_buffer_reset(label);
	pprof_int(label, LABEL_KEY, key);
	pprof_int(label, LABEL_STR, text);
	pprof_int(label, LABEL_NUM, number);
	pprof_int(label, LABEL_NUM_UNIT, unit);
	pprof_message(sample, SAMPLE_LABEL, label);
}

/* One Sample of `site`: its stack, `values`, its size and thread, and `age_key` (age or
   lifetime, 0 for none) at `bucket` seconds. */
static void add_sample(struct builder *builder, const struct site *site, const uint64_t values[4],
		       int64_t age_key, uint64_t bucket)
{
	struct pprof_buffer *sample = &builder->tables->scratch;
	pprof_buffer_reset(sample);
	const struct stack *stack = site->stack;
	if (stack != builder->ids_stack) {
		for (unsigned i = 0; i < stack->depth; i++)
			builder->stack_ids[i] = location_id(builder, stack->pcs[i]);
		builder->ids_stack = stack;
	}
	pprof_packed(sample, SAMPLE_LOCATION_ID, builder->stack_ids, stack->depth);
	pprof_packed(sample, SAMPLE_VALUE, values, 4);
	add_label(builder, sample, builder->labels.bytes, 0, (int64_t)site->size, 0);
	if (age_key)
		add_label(builder, sample, age_key, 0, (int64_t)bucket, builder->labels.seconds);
	if (site->thread[0])
		add_label(builder, sample, builder->labels.thread, string_index(builder, site->thread), 0, 0);
	pprof_message(builder->profile, PROFILE_SAMPLE, sample);
}

/* What `count` more of the site's objects add, unsampled, to the `*so_far` before
   them: the differences of cumulative values, so that the parts of a site add up to
   exactly what it shows unsplit. */
static void unsampled_part(const struct site *site, uint64_t *so_far, uint64_t count, uint64_t *objects,
			   uint64_t *bytes)
{
	uint64_t before_objects, before_bytes, after_objects, after_bytes;
	profile_unsample(*so_far, *so_far * site->size, site->rate, &before_objects, &before_bytes);
	*so_far += count;
	profile_unsample(*so_far, *so_far * site->size, site->rate, &after_objects, &after_bytes);
	*objects = after_objects - before_objects;
	*bytes = after_bytes - before_bytes;
}

/* The site's in-use blocks by age (allocated and in use), then its freed blocks by
   lifetime (allocated only); its one unsplit sample of `values` when memory ran out. */
static void add_aged_samples(struct builder *builder, const struct aged_site *aged, const uint64_t values[4],
			     uint64_t inuse, uint64_t freed)
{
	size_t age_parts, parts;
	const struct age_part *part = ages_of_site(builder->ages, aged, inuse, freed, &age_parts, &parts);
	if (!part) {
		add_sample(builder, aged->site, values, 0, 0);
		return;
	}
	uint64_t allocated_so_far = 0, inuse_so_far = 0;
	for (size_t i = 0; i < parts; i++) {
		uint64_t values[4] = {0};
		unsampled_part(aged->site, &allocated_so_far, part[i].count, &values[0], &values[1]);
		if (i < age_parts)
			unsampled_part(aged->site, &inuse_so_far, part[i].count, &values[2], &values[3]);
		add_sample(builder, aged->site, values,
			   i < age_parts ? builder->labels.age : builder->labels.lifetime, part[i].bucket);
	}
}

/* The site's Sample, split by age when `aged` (the site's counters in builder->ages). */
static void write_sample(struct builder *builder, const struct site *site, const struct aged_site *aged,
			 uint64_t allocated, uint64_t inuse, struct profile_summary *summary)
{
	uint64_t values[4];
	unsample_site(site, allocated, inuse, values);
	summary->samples += allocated;
	summary->alloc_bytes += values[1];
	summary->inuse_bytes += values[3];
	if (aged)
		add_aged_samples(builder, aged, values, inuse, allocated - inuse);
	else
		add_sample(builder, site, values, 0, 0);
}

/* With ages, the sites and their counters are those ages_take read, before it copied
   the live table (ages.h says why). */
static void write_samples(struct builder *builder, const struct profile_request *request,
			  struct profile_summary *summary)
{
	uint64_t allocated, inuse;
	if (builder->ages) {
		for (size_t i = 0; i < builder->ages->site_count; i++) {
			const struct aged_site *aged = &builder->ages->sites[i];
			if (counts_in_view(aged->site, request, aged->allocs, aged->frees, &allocated,
					   &inuse))
				write_sample(builder, aged->site, aged, allocated, inuse, summary);
		}
		return;
	}
	for (const struct site *site = sites_first(); site; site = sites_next(site)) {
		if (site_counts(site, request, &allocated, &inuse))
			write_sample(builder, site, NULL, allocated, inuse, summary);
	}
}

/* Room for one more function's key first, so that the functions table holds no id
   without its key. */
static bool reserve_function_key(struct builder *builder)
{
	uint64_t(*keys)[4] = room_for(builder->tables->function_keys, &builder->tables->function_capacity,
				      builder->tables->functions.count, sizeof *keys, 1024);
	if (!keys)
		return false;
	builder->tables->function_keys = keys;
	return true;
}

static bool same_function(const void *context, const void *key, uint32_t index)
{
	const uint64_t(*function_keys)[4] = context;
	return memcmp(function_keys[index], key, sizeof function_keys[index]) == 0;
}

struct frame_context {
	struct builder *builder;
	struct pprof_buffer *location;
};

static void add_line(void *context, const struct symbolized_frame *frame)
{
	struct frame_context *frame_context = context;
	struct builder *builder = frame_context->builder;
	uint64_t key[4] = {
		(uint64_t)string_index(builder, frame->function ? frame->function : frame->system_name),
		(uint64_t)string_index(builder, frame->system_name),
		(uint64_t)string_index(builder, frame->file),
		(uint64_t)frame->start_line,
	};
	if (!reserve_function_key(builder)) {
		builder->failed = true;
		return;
	}
	bool created;
	uint32_t index = hash_map_add(&builder->tables->functions, hash_map_hash_bytes(key, sizeof key),
				      same_function, builder->tables->function_keys, key, &created);
	if (index == HASH_MAP_ABSENT) {
		builder->failed = true;
		return;
	}
	uint64_t id = (uint64_t)index + 1;
	if (created) {
		memcpy(builder->tables->function_keys[index], key, sizeof key);
		struct pprof_buffer function = {0};
		pprof_uint(&function, FUNCTION_ID, id);
		pprof_int(&function, FUNCTION_NAME, (int64_t)key[0]);
		pprof_int(&function, FUNCTION_SYSTEM_NAME, (int64_t)key[1]);
		pprof_int(&function, FUNCTION_FILENAME, (int64_t)key[2]);
		pprof_int(&function, FUNCTION_START_LINE, frame->start_line);
		pprof_message(builder->profile, PROFILE_FUNCTION, &function);
		pprof_buffer_free(&function);
	}
	struct pprof_buffer *line = &builder->tables->line;
	pprof_buffer_reset(line);
	pprof_uint(line, LINE_FUNCTION_ID, id);
	pprof_int(line, LINE_LINE, frame->line);
	pprof_message(frame_context->location, LOCATION_LINE, line);
}

/* One symbolizer for the life of the process, created when a profile first has
   addresses to name: the peak profile and later dumps reuse what libdw has read.
   Used under the dump lock only. */
static struct symbolizer *process_symbolizer;
static uintptr_t *reported_starts; /* the modules already given to it */
static size_t reported_count, reported_capacity;

static struct symbolizer *symbolizer_for(const struct module *module)
{
	if (!process_symbolizer) {
		const struct libdw_api *dw = libdw_api_load();
		if (!dw || !(process_symbolizer = symbolizer_create(dw)))
			return NULL;
		symbolizer_skip_separate_dwarf(process_symbolizer);
	}
	for (size_t i = 0; i < reported_count; i++) {
		if (reported_starts[i] == module->start)
			return process_symbolizer;
	}
	uintptr_t *starts = room_for(reported_starts, &reported_capacity, reported_count, sizeof *starts, 64);
	if (!starts)
		return process_symbolizer;
	reported_starts = starts;
	reported_starts[reported_count++] = module->start;
	/* Reading the file fails where the program closes every descriptor meanwhile, and
	   a module not added stays nameless. */
	for (int attempt = 0; attempt < DESCRIPTOR_ATTEMPTS; attempt++) {
		if (symbolizer_add_mapping(process_symbolizer, module->path, module->start, module->limit,
					   module->file_offset))
			break;
	}
	return process_symbolizer;
}

/* Calls `callback` for each frame at `pc` in `module`; the number of frames. With
   HEAPPROF_SYMBOLIZE=0 none, and libdw is never loaded: the profile keeps addresses,
   mappings and build IDs for `heapprof symbolize` to name later. */
static unsigned name_frames(const struct module *module, uint64_t pc, symbolize_callback *callback,
			    void *context)
{
	if (!options.symbolize)
		return 0;
	struct symbolizer *symbolizer = symbolizer_for(module);
	return symbolizer ? symbolizer_lookup(symbolizer, module->start, pc, callback, context) : 0;
}

/* Symbolizes `pc` in `module` into Line entries of `location`; the number of frames. */
static unsigned symbolize_into(struct builder *builder, const struct module *module, uint64_t pc,
			       struct pprof_buffer *location)
{
	struct frame_context context = {builder, location};
	return name_frames(module, pc, add_line, &context);
}

/* Mapping ids: the main program is 1, as pprof expects; the rest follow in address order. */
static uint64_t mapping_id(const struct builder *builder, size_t module)
{
	size_t main_index = builder->module_count;
	for (size_t i = 0; i < builder->module_count; i++) {
		if (builder->modules[i].main_program) {
			main_index = i;
			break;
		}
	}
	if (module == main_index)
		return 1;
	return module < main_index ? module + 2 : module + 1;
}

static void write_location(struct builder *builder, uint64_t id, uint64_t pc)
{
	struct pprof_buffer location = {0};
	pprof_uint(&location, LOCATION_ID, id);
	const struct module *module = modules_find(builder->modules, builder->module_count, pc);
	if (module) {
		size_t index = (size_t)(module - builder->modules);
		pprof_uint(&location, LOCATION_MAPPING_ID, mapping_id(builder, index));
		if (symbolize_into(builder, module, pc, &location))
			builder->module_symbolized[index] = true;
	}
	pprof_uint(&location, LOCATION_ADDRESS, pc);
	pprof_message(builder->profile, PROFILE_LOCATION, &location);
	pprof_buffer_free(&location);
}

static void write_mappings(struct builder *builder)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < builder->module_count; i++) {
		const struct module *module = &builder->modules[i];
		char build_id[2 * MODULE_BUILD_ID_MAX + 1];
		for (unsigned j = 0; j < module->build_id_length; j++) {
			build_id[2 * j] = hex[module->build_id[j] >> 4];
			build_id[2 * j + 1] = hex[module->build_id[j] & 15];
		}
		build_id[2 * module->build_id_length] = '\0';
		bool symbolized = builder->module_symbolized[i];
		struct pprof_buffer mapping = {0};
		pprof_uint(&mapping, MAPPING_ID, mapping_id(builder, i));
		pprof_uint(&mapping, MAPPING_START, module->start);
		pprof_uint(&mapping, MAPPING_LIMIT, module->limit);
		pprof_uint(&mapping, MAPPING_OFFSET, module->file_offset);
		pprof_int(&mapping, MAPPING_FILENAME, string_index(builder, module->path));
		pprof_int(&mapping, MAPPING_BUILD_ID, string_index(builder, build_id));
		pprof_bool(&mapping, MAPPING_HAS_FUNCTIONS, symbolized);
		pprof_bool(&mapping, MAPPING_HAS_FILENAMES, symbolized);
		pprof_bool(&mapping, MAPPING_HAS_LINE_NUMBERS, symbolized);
		pprof_bool(&mapping, MAPPING_HAS_INLINE_FRAMES, symbolized);
		pprof_message(builder->profile, PROFILE_MAPPING, &mapping);
		pprof_buffer_free(&mapping);
	}
}

static void write_string_table(struct builder *builder)
{
	if (builder->failed)
		return;
	pprof_bytes(builder->profile, PROFILE_STRING_TABLE, "", 0);
	for (size_t id = 1; id <= builder->tables->strings.count; id++) {
		const char *text = builder->tables->string_text[id];
		pprof_bytes(builder->profile, PROFILE_STRING_TABLE, text, strlen(text));
	}
}

static bool prepare(struct builder *builder)
{
	builder->modules = modules_hold(&builder->module_count);
	size_t count = builder->module_count ? builder->module_count : 1;
	builder->module_symbolized = calloc(count, sizeof(bool));
	return builder->module_symbolized != NULL;
}

/* Empties the tables, keeping their memory for the next profile. */
static void clear(struct profile_workspace *tables)
{
	for (size_t id = 1; id <= tables->strings.count; id++)
		free(tables->string_text[id]);
	hash_map_clear(&tables->strings);
	hash_map_clear(&tables->locations);
	hash_map_clear(&tables->functions);
}

static void release(struct builder *builder)
{
	clear(builder->tables);
	free(builder->module_symbolized);
	modules_release(builder->modules);
}

void profile_workspace_free(struct profile_workspace *tables)
{
	clear(tables);
	free(tables->string_text);
	hash_map_free(&tables->strings);
	hash_map_free(&tables->locations);
	hash_map_free(&tables->functions);
	free(tables->function_keys);
	free(tables->pending_pcs);
	pprof_buffer_free(&tables->scratch);
	pprof_buffer_free(&tables->line);
	pprof_buffer_free(&tables->label);
	ages_free(&tables->ages);
	*tables = (struct profile_workspace){0};
}

size_t profile_workspace_bytes(const struct profile_workspace *tables)
{
	const struct ages *ages = &tables->ages;
	return tables->string_capacity * sizeof *tables->string_text +
	       (tables->strings.capacity + tables->locations.capacity + tables->functions.capacity) *
		       sizeof(struct hash_map_slot) +
	       tables->function_capacity * sizeof *tables->function_keys +
	       tables->pending_capacity * sizeof *tables->pending_pcs + tables->scratch.capacity +
	       tables->line.capacity + tables->label.capacity + ages->site_capacity * sizeof *ages->sites +
	       ages->lifetime_capacity * sizeof *ages->lifetimes +
	       ages->block_capacity * sizeof *ages->blocks + ages->part_capacity * sizeof *ages->parts;
}

/* Since when the profile counts, and for how long; `taken_nanos` is when it began to
   read the sites. */
static void write_times(struct builder *builder, const struct profile_request *request, int64_t taken_nanos)
{
	if (request->at_moment) {
		pprof_int(builder->profile, PROFILE_TIME_NANOS, taken_nanos);
		return;
	}
	int64_t since = request->view == PROFILE_DELTA ? request->base->taken_nanos : request->start_nanos;
	pprof_int(builder->profile, PROFILE_TIME_NANOS, since);
	pprof_int(builder->profile, PROFILE_DURATION_NANOS, now_nanos() - since);
}

/* Only the keys the profile uses: a profile without ages or threads is as before. */
static void label_strings(struct builder *builder)
{
	builder->labels.bytes = string_index(builder, "bytes");
	if (builder->ages) {
		builder->labels.age = string_index(builder, "age");
		builder->labels.lifetime = string_index(builder, "lifetime");
		builder->labels.seconds = string_index(builder, "seconds");
	}
	if (options.thread_labels)
		builder->labels.thread = string_index(builder, "thread");
}

bool profile_encode(struct pprof_buffer *out, const struct profile_request *request,
		    struct profile_summary *summary, struct profile_workspace *tables)
{
	int64_t taken_nanos = now_nanos();
	pprof_buffer_reset(out);
	struct builder builder = {.profile = out, .tables = tables};
	*summary = (struct profile_summary){0};
	if (request->view == PROFILE_CURRENT && ages_take(&tables->ages))
		builder.ages = &tables->ages;
	bool ok = prepare(&builder);
	if (ok) {
		value_type(&builder, PROFILE_SAMPLE_TYPE, "alloc_objects", "count");
		value_type(&builder, PROFILE_SAMPLE_TYPE, "alloc_space", "bytes");
		value_type(&builder, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
		value_type(&builder, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
		label_strings(&builder);
		write_samples(&builder, request, summary);
		for (size_t i = 0; i < builder.pending_count; i++)
			write_location(&builder, i + 1, builder.tables->pending_pcs[i]);
		write_mappings(&builder);
		value_type(&builder, PROFILE_PERIOD_TYPE, "space", "bytes");
		pprof_int(builder.profile, PROFILE_PERIOD, (int64_t)sampler_profile_rate());
		write_times(&builder, request, taken_nanos);
		if (request->comment)
			pprof_int(builder.profile, PROFILE_COMMENT, string_index(&builder, request->comment));
		if (request->default_sample_type)
			pprof_int(builder.profile, PROFILE_DEFAULT_SAMPLE_TYPE,
				  string_index(&builder, request->default_sample_type));
		write_string_table(&builder);
		summary->stacks = sites_counts().stacks;
	}
	ok = ok && !builder.failed && !builder.profile->failed;
	release(&builder);
	if (!ok) {
		profile_workspace_free(tables);
		pprof_buffer_free(out);
	}
	return ok;
}

unsigned profile_symbolize(uintptr_t pc, symbolize_callback *callback, void *context)
{
	size_t count;
	const struct module *modules = modules_hold(&count);
	const struct module *module = modules_find(modules, count, pc);
	unsigned frames = module ? name_frames(module, pc, callback, context) : 0;
	modules_release(modules);
	return frames;
}
