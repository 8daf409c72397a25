#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base_profile.h"
#include "display_names.h"
#include "go_strconv.h"
#include "go_url.h"
#include "graph.h"
#include "main_binary.h"
#include "prune.h"
#include "reader/diag.h"
#include "reader/intern_table.h"
#include "sample_merge.h"

static _Noreturn void die_unknown_index(const struct profile *prof, const char *wanted)
{
	char types[1024] = "";
	size_t used = 0;
	for (size_t i = 0; i < prof->n_sample_types && used < sizeof types; i++)
		used += (size_t)snprintf(types + used, sizeof types - used, "%s%s", i ? " " : "",
					 prof->sample_types[i].type);
	diag_die_usage("sample_index \"%s\" must be one of: [%s]", wanted, types);
}

/* pprof's rule: the default sample type if the profile names one, else the
   last; an empty -sample_index= is no choice. */
static size_t choose_value_index(const struct profile *prof, const char *wanted)
{
	if (!wanted || !*wanted) {
		for (size_t i = 0; prof->default_sample_type[0] && i < prof->n_sample_types; i++)
			if (!strcmp(prof->sample_types[i].type, prof->default_sample_type))
				return i;
		return prof->n_sample_types - 1;
	}
	int64_t number; /* strconv.Atoi */
	if (go_parse_int64(wanted, 10, &number)) {
		if (number < 0 || (uint64_t)number >= prof->n_sample_types)
			diag_die_usage("sample_index %s is outside the range [0..%zu]", wanted,
				       prof->n_sample_types - 1);
		return (size_t)number;
	}
	const char *without_inuse = strncmp(wanted, "inuse_", 6) ? wanted : wanted + 6;
	for (size_t i = 0; i < prof->n_sample_types; i++)
		if (!strcmp(prof->sample_types[i].type, wanted) ||
		    !strcmp(prof->sample_types[i].type, without_inuse))
			return i;
	die_unknown_index(prof, wanted);
}

/* pprof's unsourceMappings: a mapping file without a build ID that parses as
   an absolute URL is taken for where the profile came from, and dropped. */
static void unsource_mappings(struct profile *prof)
{
	for (size_t i = 0; i < prof->n_mappings; i++)
		if (!prof->mappings[i].build_id[0] && go_url_is_absolute(prof->mappings[i].file))
			prof->mappings[i].file = "";
}

struct label_unit {
	const char *key, *unit;
};

static int compare_label_units(const void *a, const void *b)
{
	const struct label_unit *left = a, *right = b;
	int order = strcmp(left->key, right->key);
	return order ? order : strcmp(left->unit, right->unit);
}

/* The units samples (indices, or all when NULL) give numeric labels, each
   (key, unit) once in the order met; *count of them. malloc'd. */
static struct label_unit *label_units(const struct profile *prof, const size_t *samples, size_t n_samples,
				      size_t *count)
{
	struct label_unit *units = NULL;
	size_t capacity = 0, pair_capacity = 0;
	char *pair = NULL;
	struct intern_table seen;
	intern_table_init(&seen);
	*count = 0;
	for (size_t k = 0; k < n_samples; k++) {
		const Perftools__Profiles__Sample *sample = prof->samples[samples ? samples[k] : k].message;
		for (size_t i = 0; i < sample->n_label; i++) {
			const Perftools__Profiles__Label *label = sample->label[i];
			const char *key = prof->strings[label->key], *unit = prof->strings[label->num_unit];
			if (label->str || !*unit)
				continue;
			size_t key_length = strlen(key), length = key_length + 1 + strlen(unit);
			pair = diag_grow(pair, &pair_capacity, length + 1, 1);
			memcpy(pair, key, key_length + 1);
			strcpy(pair + key_length + 1, unit);
			if (intern_table_add(&seen, pair, length) == *count) {
				units = diag_grow(units, &capacity, *count + 1, sizeof *units);
				units[(*count)++] = (struct label_unit){key, unit};
			}
		}
	}
	intern_table_free(&seen);
	free(pair);
	return units;
}

static size_t distinct_keys(const struct label_unit *units, size_t count)
{
	struct intern_table keys;
	intern_table_init(&keys);
	for (size_t i = 0; i < count; i++)
		intern_table_add(&keys, units[i].key, strlen(units[i].key));
	size_t distinct = keys.ids.count;
	intern_table_free(&keys);
	return distinct;
}

/* pprof's identifyNumLabelUnits: a numeric label key takes the first unit
   the samples Merge keeps give it, and pprof warns of the others, each key
   on a line (in Go's map order, which is random: here by key). Merging is
   only done when some key has two units at all. */
static void note_label_units(const struct profile *prof)
{
	size_t count;
	struct label_unit *units = label_units(prof, NULL, prof->n_samples, &count);
	bool two_units = distinct_keys(units, count) < count;
	free(units);
	if (!two_units)
		return;
	size_t n_kept;
	size_t *kept = sample_merge_kept(prof, &n_kept);
	units = label_units(prof, kept, n_kept, &count);
	free(kept);
	struct intern_table keys;
	intern_table_init(&keys);
	const char **first = diag_calloc(count + 1, sizeof *first);
	struct label_unit *others = diag_calloc(count + 1, sizeof *others);
	size_t n_others = 0;
	for (size_t i = 0; i < count; i++) {
		uint32_t id = intern_table_add(&keys, units[i].key, strlen(units[i].key));
		if (!first[id])
			first[id] = units[i].unit;
		else
			others[n_others++] = units[i];
	}
	qsort(others, n_others, sizeof *others, compare_label_units);
	for (size_t i = 0; i < n_others;) {
		const char *key = others[i].key;
		fprintf(stderr, "For tag %s used unit %s, also encountered unit(s) ", key,
			first[intern_table_find(&keys, key, strlen(key))]);
		for (size_t j = i; i < n_others && !strcmp(others[i].key, key); i++)
			fprintf(stderr, "%s%s", i > j ? ", " : "", others[i].unit);
		fputc('\n', stderr);
	}
	intern_table_free(&keys);
	free(first);
	free(others);
	free(units);
}

/* Before anything else is reported, as pprof notes them: while symbolizing,
   and as it reads the numeric labels. */
static void print_pprof_notes(const struct report_options *options, const struct profile *merged,
			      const struct profile *current, const struct profile *base)
{
	if (!options->pprof_notes)
		return;
	if (main_binary_unnamed(merged, current, base))
		fputs("Main binary filename not available.\n", stderr);
	note_label_units(merged);
}

struct profile *report_read_source(const char *source, const struct report_options *options)
{
	struct profile *prof = profile_reader_read_source_or_die(source, &options->fetch);
	if (prof->n_sample_types == 0)
		diag_die("%s: profile has no samples", source);
	return prof;
}

void report_open(struct report *rpt, const char *source, const struct report_options *options)
{
	struct profile *prof = report_read_source(source, options);
	print_pprof_notes(options, prof, prof, NULL);
	report_prepare(rpt, prof, options);
}

void report_open_with_base(struct report *rpt, const char *source, const char *base_source, bool as_diff_base,
			   const struct report_options *options)
{
	struct profile *current = report_read_source(source, options);
	struct profile *base = profile_reader_read_source_or_die(base_source, &options->fetch);
	struct profile *merged = base_profile_subtract(current, base, as_diff_base);
	print_pprof_notes(options, merged, current, base);
	report_prepare(rpt, merged, options);
	rpt->compared[0] = current;
	rpt->compared[1] = base;
}

void report_prepare(struct report *rpt, struct profile *prof, const struct report_options *options)
{
	memset(rpt, 0, sizeof *rpt);
	rpt->options = *options;
	rpt->prof = prof;
	/* pprof merges even one profile, which keeps one of each comment. */
	const struct profile *sources[] = {prof};
	prof->n_comments = sample_merge_comments(prof->comments, sources, 1);
	rpt->value_index = choose_value_index(prof, options->sample_index);
	rpt->sample_type = prof->sample_types[rpt->value_index].type;
	rpt->sample_unit = prof->sample_types[rpt->value_index].unit;
	rpt->output_unit = options->unit;
	/* pprof merges samples as it reads, before names are simplified and
       drop_frames prunes stacks; samples equal only afterwards stay apart. */
	rpt->total = graph_profile_total(prof, rpt->value_index);
	sample_merge_mappings(prof);
	unsource_mappings(prof);
	display_names_apply(prof);
	prune_dropped_frames(prof);
}

void report_close(struct report *rpt)
{
	profile_reader_free(rpt->prof);
	rpt->prof = NULL;
	for (size_t i = 0; i < 2; i++) {
		profile_reader_free(rpt->compared[i]);
		rpt->compared[i] = NULL;
	}
}

void report_format_value(const struct report *rpt, int64_t value, char text[VALUE_TEXT_SIZE])
{
	units_label(text, value, rpt->sample_unit, rpt->output_unit);
}
