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
	key->bytes = xgrow(key->bytes, &key->capacity, key->length + length, 1);
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
	uint32_t id = intern(table, key->bytes ? key->bytes : "", key->length);
	key->length = 0;
	return id;
}

/* Mappings are the same when their size (rounded to pages), offset and
   build id (or file, without one) agree. */
static uint32_t *canonical_mappings(const struct profile *prof, struct key_buffer *key)
{
	struct intern_table table;
	intern_table_init(&table);
	uint32_t *ids = xmalloc((prof->n_mappings + 1) * sizeof *ids);
	for (size_t i = 0; i < prof->n_mappings; i++) {
		const struct profile_mapping *m = &prof->mappings[i];
		uint64_t size = m->limit - m->start + 0xfff;
		put_u64(key, size - size % 0x1000);
		put_u64(key, m->offset);
		put_string(key, m->build_id[0] ? m->build_id : m->file);
		ids[i] = finish_key(&table, key);
	}
	intern_table_free(&table);
	return ids;
}

static uint32_t *canonical_functions(const struct profile *prof, struct key_buffer *key)
{
	struct intern_table table;
	intern_table_init(&table);
	uint32_t *ids = xmalloc((prof->n_functions + 1) * sizeof *ids);
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
	uint32_t *ids = xmalloc((prof->n_locations + 1) * sizeof *ids);
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

/* Orders labels by key, keeping the order of values under one key, which is
   all that pprof's label maps remember. */
static int compare_labels(const void *a, const void *b, void *context)
{
	const struct profile *prof = context;
	const struct ordered_label *left = a, *right = b;
	int order = strcmp(prof->strings[left->label->key], prof->strings[right->label->key]);
	if (order)
		return order;
	return (left->position > right->position) - (left->position < right->position);
}

static void put_labels(struct key_buffer *key, const struct profile *prof,
		       const Perftools__Profiles__Sample *sample)
{
	if (!sample->n_label)
		return;
	struct ordered_label *labels = xmalloc(sample->n_label * sizeof *labels);
	for (size_t i = 0; i < sample->n_label; i++)
		labels[i] = (struct ordered_label){sample->label[i], i};
	qsort_r(labels, sample->n_label, sizeof *labels, compare_labels, (void *)prof);
	for (size_t i = 0; i < sample->n_label; i++) {
		const Perftools__Profiles__Label *label = labels[i].label;
		if (!label->str && !label->num && !label->num_unit)
			continue; /* pprof drops a label with neither value */
		put_string(key, prof->strings[label->key]);
		put_u64(key, label->str ? 1 : 2);
		if (label->str) {
			put_string(key, prof->strings[label->str]);
		} else {
			put_u64(key, (uint64_t)label->num);
			put_string(key, prof->strings[label->num_unit]);
		}
	}
	free(labels);
}

bool sample_is_diff_base(const struct profile *prof, const Perftools__Profiles__Sample *sample)
{
	for (size_t i = 0; i < sample->n_label; i++) {
		const Perftools__Profiles__Label *label = sample->label[i];
		if (label->str && !strcmp(prof->strings[label->key], "pprof::base") &&
		    !strcmp(prof->strings[label->str], "true"))
			return true;
	}
	return false;
}

int64_t merged_total(const struct profile *prof, size_t value_index)
{
	struct key_buffer key = {0};
	uint32_t *locations = canonical_locations(prof, &key);
	struct intern_table samples;
	intern_table_init(&samples);
	int64_t *sums = NULL;
	bool *diff_base = NULL;
	size_t capacity = 0;
	for (size_t s = 0; s < prof->n_samples; s++) {
		const struct profile_sample *sample = &prof->samples[s];
		for (size_t i = 0; i < sample->n_locations; i++)
			put_u64(&key, locations[sample->locations[i]]);
		put_u64(&key, UINT64_MAX); /* ends the stack */
		put_labels(&key, prof, sample->message);
		uint32_t merged = finish_key(&samples, &key);
		if (merged == capacity) {
			size_t old = capacity;
			sums = xgrow(sums, &capacity, merged + 1, sizeof *sums);
			diff_base = xrealloc(diff_base, capacity * sizeof *diff_base);
			memset(sums + old, 0, (capacity - old) * sizeof *sums);
		}
		go_add(&sums[merged], sample->values[value_index]);
		diff_base[merged] = sample_is_diff_base(prof, sample->message);
	}
	int64_t total = 0, diff_base_total = 0;
	for (size_t i = 0; i < samples.ids.count; i++) {
		go_add(&total, go_abs(sums[i]));
		if (diff_base[i])
			go_add(&diff_base_total, go_abs(sums[i]));
	}
	intern_table_free(&samples);
	free(sums);
	free(diff_base);
	free(locations);
	free(key.bytes);
	return diff_base_total > 0 ? diff_base_total : total;
}
