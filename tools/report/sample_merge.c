#include "sample_merge.h"

#include <stdlib.h>
#include <string.h>

#include "go_int.h"
#include "reader/diag.h"
#include "reader/intern_table.h"

/* A growable byte string used to build identity keys. */
struct key_buffer {
	char *bytes;
	size_t length, capacity;
};

static void put(struct key_buffer *key, const void *bytes, size_t length)
{
	key->bytes = diag_grow(key->bytes, &key->capacity, key->length + length, 1);
	memcpy(key->bytes + key->length, bytes, length);
	key->length += length;
}

static void put_u64(struct key_buffer *key, uint64_t value)
{
	put(key, &value, sizeof value);
}

static void put_string(struct key_buffer *key, const char *text)
{
	put(key, text, strlen(text) + 1);
}

static uint32_t finish_key(struct intern_table *table, struct key_buffer *key)
{
	uint32_t id = intern_table_add(table, key->bytes ? key->bytes : "", key->length);
	key->length = 0;
	return id;
}

/* Mappings are the same when their size (rounded to pages), offset and
   build id (or file, without one) agree. */
struct mapping_key {
	uint64_t size, offset;
	const char *name;
};

static struct mapping_key mapping_key(const struct profile_mapping *mapping)
{
	uint64_t size = mapping->limit - mapping->start + 0xfff;
	return (struct mapping_key){size - size % 0x1000, mapping->offset,
				    mapping->build_id[0] ? mapping->build_id : mapping->file};
}

bool sample_merge_same_mapping(const struct profile_mapping *left, const struct profile_mapping *right)
{
	struct mapping_key a = mapping_key(left), b = mapping_key(right);
	return a.size == b.size && a.offset == b.offset && !strcmp(a.name, b.name);
}

static uint32_t *canonical_mappings(const struct profile *prof, struct key_buffer *key)
{
	struct intern_table table;
	intern_table_init(&table);
	uint32_t *ids = diag_malloc((prof->n_mappings + 1) * sizeof *ids);
	for (size_t i = 0; i < prof->n_mappings; i++) {
		struct mapping_key mapping = mapping_key(&prof->mappings[i]);
		put_u64(key, mapping.size);
		put_u64(key, mapping.offset);
		put_string(key, mapping.name);
		ids[i] = finish_key(&table, key);
	}
	intern_table_free(&table);
	return ids;
}

static uint32_t *canonical_functions(const struct profile *prof, struct key_buffer *key)
{
	struct intern_table table;
	intern_table_init(&table);
	uint32_t *ids = diag_malloc((prof->n_functions + 1) * sizeof *ids);
	for (size_t i = 0; i < prof->n_functions; i++) {
		const struct profile_function *f = &prof->functions[i];
		put_u64(key, (uint64_t)f->start_line);
		put_string(key, f->name);
		put_string(key, f->system_name);
		put_string(key, f->filename);
		ids[i] = finish_key(&table, key);
	}
	intern_table_free(&table);
	return ids;
}

/* Locations are the same at the same offset into the same mapping, with the
   same frames; without a mapping the address itself must agree. */
static uint32_t *canonical_locations(const struct profile *prof, struct key_buffer *key)
{
	uint32_t *mappings = canonical_mappings(prof, key);
	uint32_t *functions = canonical_functions(prof, key);
	struct intern_table table;
	intern_table_init(&table);
	uint32_t *ids = diag_malloc((prof->n_locations + 1) * sizeof *ids);
	for (size_t i = 0; i < prof->n_locations; i++) {
		const struct profile_location *l = &prof->locations[i];
		bool mapped = l->mapping != NO_MAPPING;
		put_u64(key, mapped ? l->address - prof->mappings[l->mapping].start : l->address);
		put_u64(key, mapped ? mappings[l->mapping] + 1 : 0);
		put_u64(key, l->is_folded);
		for (size_t j = 0; j < l->n_lines; j++) {
			put_u64(key, functions[l->lines[j].function]);
			put_u64(key, (uint64_t)l->lines[j].line);
		}
		ids[i] = finish_key(&table, key);
	}
	intern_table_free(&table);
	free(mappings);
	free(functions);
	return ids;
}

struct ordered_label {
	const Perftools__Profiles__Label *label;
	size_t position; /* in the sample, to keep the order of values under one key */
};

/* Orders labels as pprof's label maps keep them: string labels apart from
   numeric ones, by key, the values under one key in their order. */
static int compare_labels(const void *a, const void *b, void *context)
{
	const struct profile *prof = context;
	const struct ordered_label *left = a, *right = b;
	bool left_string = left->label->str != 0, right_string = right->label->str != 0;
	if (left_string != right_string)
		return left_string ? -1 : 1;
	int order = strcmp(prof->strings[left->label->key], prof->strings[right->label->key]);
	if (order)
		return order;
	return (left->position > right->position) - (left->position < right->position);
}

static bool dropped_label(const Perftools__Profiles__Label *label)
{
	return !label->str && !label->num && !label->num_unit; /* pprof drops a label with neither value */
}

/* A run of numeric labels of one key. pprof keeps the key's units (each ""
   without one) only when some label names one, and tells them apart as
   the text "[%x %x ...]": no units and one "" are the same. */
static void put_numeric_labels(struct key_buffer *key, const struct profile *prof,
			       const struct ordered_label *labels, size_t count)
{
	size_t values = 0, named = 0;
	const char *unit = "";
	for (size_t i = 0; i < count; i++) {
		if (dropped_label(labels[i].label))
			continue;
		values++;
		named += labels[i].label->num_unit != 0;
		unit = prof->strings[labels[i].label->num_unit];
	}
	bool units = named > 0 && !(values == 1 && !*unit);
	for (size_t i = 0; i < count; i++) {
		const Perftools__Profiles__Label *label = labels[i].label;
		if (dropped_label(label))
			continue;
		put_string(key, prof->strings[label->key]);
		put_u64(key, units ? 3 : 2);
		put_u64(key, (uint64_t)label->num);
		if (units)
			put_string(key, prof->strings[label->num_unit]);
	}
}

static void put_labels(struct key_buffer *key, const struct profile *prof,
		       const Perftools__Profiles__Sample *sample)
{
	if (!sample->n_label)
		return;
	struct ordered_label *labels = diag_malloc(sample->n_label * sizeof *labels);
	for (size_t i = 0; i < sample->n_label; i++)
		labels[i] = (struct ordered_label){sample->label[i], i};
	qsort_r(labels, sample->n_label, sizeof *labels, compare_labels, (void *)prof);
	for (size_t i = 0; i < sample->n_label;) {
		const Perftools__Profiles__Label *label = labels[i].label;
		if (label->str) {
			put_string(key, prof->strings[label->key]);
			put_u64(key, 1);
			put_string(key, prof->strings[label->str]);
			i++;
			continue;
		}
		size_t end = i + 1;
		while (end < sample->n_label &&
		       !strcmp(prof->strings[labels[end].label->key], prof->strings[label->key]))
			end++;
		put_numeric_labels(key, prof, labels + i, end - i);
		i = end;
	}
	free(labels);
}

size_t sample_merge_comments(const char **out, const struct profile *const *sources, size_t n_sources)
{
	struct intern_table seen;
	intern_table_init(&seen);
	size_t count = 0;
	for (size_t s = 0; s < n_sources; s++) {
		for (size_t i = 0; i < sources[s]->n_comments; i++) {
			const char *comment = sources[s]->comments[i];
			if (intern_table_add(&seen, comment, strlen(comment)) == count)
				out[count++] = comment;
		}
	}
	intern_table_free(&seen);
	return count;
}

bool sample_merge_is_diff_base(const struct profile *prof, const Perftools__Profiles__Sample *sample)
{
	for (size_t i = 0; i < sample->n_label; i++) {
		const Perftools__Profiles__Label *label = sample->label[i];
		if (label->str && !strcmp(prof->strings[label->key], "pprof::base") &&
		    !strcmp(prof->strings[label->str], "true"))
			return true;
	}
	return false;
}

size_t sample_merge_groups(const struct profile *prof, uint32_t *merged)
{
	struct key_buffer key = {0};
	uint32_t *locations = canonical_locations(prof, &key);
	struct intern_table samples;
	intern_table_init(&samples);
	for (size_t s = 0; s < prof->n_samples; s++) {
		const struct profile_sample *sample = &prof->samples[s];
		for (size_t i = 0; i < sample->n_locations; i++)
			put_u64(&key, locations[sample->locations[i]]);
		put_u64(&key, UINT64_MAX); /* ends the stack */
		put_labels(&key, prof, sample->message);
		merged[s] = finish_key(&samples, &key);
	}
	size_t count = samples.ids.count;
	intern_table_free(&samples);
	free(locations);
	free(key.bytes);
	return count;
}

int64_t *sample_merge_weights(const struct profile *prof, size_t value_index)
{
	uint32_t *merged = diag_calloc(prof->n_samples + 1, sizeof *merged);
	size_t count = sample_merge_groups(prof, merged);
	int64_t *sums = diag_calloc(count + 1, sizeof *sums);
	for (size_t s = 0; s < prof->n_samples; s++)
		go_add(&sums[merged[s]], prof->samples[s].values[value_index]);
	int64_t *weights = diag_calloc(prof->n_samples + 1, sizeof *weights);
	bool *placed = diag_calloc(count + 1, sizeof *placed);
	for (size_t s = 0; s < prof->n_samples; s++) {
		if (!placed[merged[s]])
			weights[s] = sums[merged[s]];
		placed[merged[s]] = true;
	}
	free(merged);
	free(sums);
	free(placed);
	return weights;
}

int64_t sample_merge_total(const struct profile *prof, size_t value_index)
{
	uint32_t *merged = diag_calloc(prof->n_samples, sizeof *merged);
	size_t count = sample_merge_groups(prof, merged);
	int64_t *sums = diag_calloc(count, sizeof *sums);
	bool *diff_base = diag_calloc(count, sizeof *diff_base);
	for (size_t s = 0; s < prof->n_samples; s++) {
		const struct profile_sample *sample = &prof->samples[s];
		go_add(&sums[merged[s]], sample->values[value_index]);
		diff_base[merged[s]] = sample_merge_is_diff_base(prof, sample->message);
	}
	int64_t total = 0, diff_base_total = 0;
	for (size_t i = 0; i < count; i++) {
		go_add(&total, go_abs(sums[i]));
		if (diff_base[i])
			go_add(&diff_base_total, go_abs(sums[i]));
	}
	free(merged);
	free(sums);
	free(diff_base);
	return diff_base_total > 0 ? diff_base_total : total;
}

/* Which merged samples profile.Merge keeps: those with a value other than
   zero once summed. malloc'd, one flag per merged sample. */
static bool *kept_samples(const struct profile *prof, const uint32_t *merged, size_t count)
{
	bool *kept = diag_calloc(count, sizeof *kept);
	int64_t *sums = diag_calloc(count, sizeof *sums);
	for (size_t v = 0; v < prof->n_sample_types; v++) {
		memset(sums, 0, count * sizeof *sums);
		for (size_t s = 0; s < prof->n_samples; s++)
			go_add(&sums[merged[s]], prof->samples[s].values[v]);
		for (size_t i = 0; i < count; i++)
			kept[i] |= sums[i] != 0;
	}
	free(sums);
	return kept;
}

static bool holds_location(const struct profile_sample *sample, const bool *wanted)
{
	for (size_t i = 0; i < sample->n_locations; i++)
		if (wanted[sample->locations[i]])
			return true;
	return false;
}

bool sample_merge_keeps_location(const struct profile *prof, const bool *wanted)
{
	uint32_t *merged = diag_calloc(prof->n_samples, sizeof *merged);
	bool *kept = kept_samples(prof, merged, sample_merge_groups(prof, merged));
	bool found = false;
	for (size_t s = 0; s < prof->n_samples && !found; s++)
		found = kept[merged[s]] && holds_location(&prof->samples[s], wanted);
	free(merged);
	free(kept);
	return found;
}

static bool all_zero(const int64_t *values, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (values[i])
			return false;
	return true;
}

size_t *sample_merge_kept(const struct profile *prof, size_t *count)
{
	uint32_t *merged = diag_calloc(prof->n_samples + 1, sizeof *merged);
	size_t groups = sample_merge_groups(prof, merged);
	bool *kept = kept_samples(prof, merged, groups), *met = diag_calloc(groups + 1, sizeof *met);
	size_t *samples = diag_malloc((groups + 1) * sizeof *samples);
	*count = 0;
	for (size_t s = 0; s < prof->n_samples; s++) {
		if (!kept[merged[s]] || met[merged[s]] ||
		    all_zero(prof->samples[s].values, prof->n_sample_types))
			continue;
		met[merged[s]] = true;
		samples[(*count)++] = s;
	}
	free(merged);
	free(kept);
	free(met);
	return samples;
}

void sample_merge_mappings(struct profile *prof)
{
	if (prof->n_mappings == 0)
		return;
	struct key_buffer key = {0};
	uint32_t *key_of = canonical_mappings(prof, &key);
	free(key.bytes);
	uint32_t *chosen = diag_malloc(prof->n_mappings * sizeof *chosen);
	for (size_t i = 0; i < prof->n_mappings; i++)
		chosen[i] = NO_MAPPING;
	/* Mappings of one key name their frames alike unless their files differ. */
	bool files_differ = false;
	for (size_t i = 0; i < prof->n_mappings; i++) {
		if (chosen[key_of[i]] == NO_MAPPING)
			chosen[key_of[i]] = (uint32_t)i;
		files_differ |= strcmp(prof->mappings[chosen[key_of[i]]].file, prof->mappings[i].file) != 0;
	}
	if (!files_differ) {
		free(key_of);
		free(chosen);
		return;
	}
	for (size_t i = 0; i < prof->n_mappings; i++)
		chosen[i] = NO_MAPPING;
	chosen[key_of[0]] = 0;
	for (size_t s = 0; s < prof->n_samples; s++) {
		const struct profile_sample *sample = &prof->samples[s];
		if (all_zero(sample->values, prof->n_sample_types))
			continue; /* Merge passes over it */
		for (size_t i = 0; i < sample->n_locations; i++) {
			uint32_t mapping = prof->locations[sample->locations[i]].mapping;
			if (mapping != NO_MAPPING && chosen[key_of[mapping]] == NO_MAPPING)
				chosen[key_of[mapping]] = mapping;
		}
	}
	for (size_t i = 0; i < prof->n_locations; i++) {
		struct profile_location *location = &prof->locations[i];
		if (location->mapping != NO_MAPPING && chosen[key_of[location->mapping]] != NO_MAPPING)
			location->mapping = chosen[key_of[location->mapping]];
	}
	free(key_of);
	free(chosen);
}
