#include "base_profile.h"

#include <stdint.h>
#include <string.h>

#include "reader/diag.h"
#include "reader/intern_table.h"

/* The merged profile's arena has no budget, so only the system can refuse. */
static void *array_or_die(struct profile *prof, size_t count, size_t size)
{
	void *array = budget_arena_array(&prof->arena, count, size);
	if (!array)
		diag_die("out of memory");
	return array;
}

static bool same_value_type(const struct value_type *left, const struct value_type *right)
{
	return !strcmp(left->type, right->type) && !strcmp(left->unit, right->unit);
}

static void check_compatible(const struct profile *current, const struct profile *base)
{
	bool compatible = same_value_type(&current->period_type, &base->period_type) &&
			  current->n_sample_types == base->n_sample_types;
	for (size_t i = 0; compatible && i < current->n_sample_types; i++)
		compatible = same_value_type(&current->sample_types[i], &base->sample_types[i]);
	if (!compatible)
		diag_die("the base profile's sample or period types differ from the profile's");
}

/* combineHeaders of profile.Merge, including its choice of time: a zero
   time in the base replaces the profile's. */
static void combine_headers(struct profile *out, const struct profile *current, const struct profile *base)
{
	out->sample_types = current->sample_types;
	out->n_sample_types = current->n_sample_types;
	out->drop_frames = current->drop_frames;
	out->keep_frames = current->keep_frames;
	out->period_type = current->period_type;
	out->time_nanos = current->time_nanos;
	if (out->time_nanos == 0 || base->time_nanos < out->time_nanos)
		out->time_nanos = base->time_nanos;
	out->duration_nanos = (int64_t)((uint64_t)current->duration_nanos + (uint64_t)base->duration_nanos);
	out->period = current->period > base->period ? current->period : base->period;
	out->default_sample_type =
		current->default_sample_type[0] ? current->default_sample_type : base->default_sample_type;
	out->comments = array_or_die(out, current->n_comments + base->n_comments, sizeof *out->comments);
	struct intern_table seen;
	intern_table_init(&seen);
	const struct profile *sources[] = {current, base};
	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; i < sources[s]->n_comments; i++) {
			const char *comment = sources[s]->comments[i];
			if (intern_table_add(&seen, comment, strlen(comment)) == out->n_comments)
				out->comments[out->n_comments++] = comment;
		}
	}
	intern_table_free(&seen);
}

static const char diff_base_key[] = "pprof::base";

/* A base sample's labels: they index the string table, which is current's
   followed by base's. -diff_base's label (diff_base, or NULL) replaces the
   string values of its key, as pprof's SetLabel does. */
static const Perftools__Profiles__Sample *base_labels(struct profile *out, const struct profile *base,
						      const Perftools__Profiles__Sample *message,
						      size_t string_offset,
						      Perftools__Profiles__Label *diff_base)
{
	Perftools__Profiles__Sample *copy = array_or_die(out, 1, sizeof *copy);
	*copy = *message;
	copy->label = array_or_die(out, message->n_label + 1, sizeof *copy->label);
	copy->n_label = 0;
	for (size_t i = 0; i < message->n_label; i++) {
		const Perftools__Profiles__Label *in = message->label[i];
		if (diff_base && in->str && !strcmp(base->strings[in->key], diff_base_key))
			continue;
		Perftools__Profiles__Label *label = array_or_die(out, 1, sizeof *label);
		*label = *in;
		label->key += label->key ? (int64_t)string_offset : 0;
		label->str += label->str ? (int64_t)string_offset : 0;
		label->num_unit += label->num_unit ? (int64_t)string_offset : 0;
		copy->label[copy->n_label++] = label;
	}
	if (diff_base)
		copy->label[copy->n_label++] = diff_base;
	return copy;
}

/* pprof::base=true, its strings added after the two profiles' own. */
static Perftools__Profiles__Label *diff_base_label(struct profile *out, const char **strings)
{
	Perftools__Profiles__Label *label = array_or_die(out, 1, sizeof *label);
	perftools__profiles__label__init(label);
	strings[out->n_strings] = diff_base_key;
	strings[out->n_strings + 1] = "true";
	label->key = (int64_t)out->n_strings;
	label->str = (int64_t)out->n_strings + 1;
	out->n_strings += 2;
	return label;
}

struct profile *base_profile_subtract(const struct profile *current, const struct profile *base,
				      bool as_diff_base)
{
	check_compatible(current, base);
	struct profile *out = diag_calloc(1, sizeof *out);
	budget_arena_init(&out->arena, SIZE_MAX);
	out->message = current->message;
	combine_headers(out, current, base);

	out->n_strings = current->n_strings + base->n_strings;
	const char **strings = array_or_die(out, out->n_strings + 2, sizeof *strings);
	memcpy(strings, current->strings, current->n_strings * sizeof *strings);
	memcpy(strings + current->n_strings, base->strings, base->n_strings * sizeof *strings);
	Perftools__Profiles__Label *diff_base = as_diff_base ? diff_base_label(out, strings) : NULL;
	out->strings = strings;

	/* profile.Merge keeps current's first mapping first, or base's when
       current has none: either way the concatenation's first. */
	out->n_mappings = current->n_mappings + base->n_mappings;
	out->mappings = array_or_die(out, out->n_mappings, sizeof *out->mappings);
	memcpy(out->mappings, current->mappings, current->n_mappings * sizeof *out->mappings);
	memcpy(out->mappings + current->n_mappings, base->mappings, base->n_mappings * sizeof *out->mappings);

	out->n_functions = current->n_functions + base->n_functions;
	out->functions = array_or_die(out, out->n_functions, sizeof *out->functions);
	memcpy(out->functions, current->functions, current->n_functions * sizeof *out->functions);
	memcpy(out->functions + current->n_functions, base->functions,
	       base->n_functions * sizeof *out->functions);

	out->n_locations = current->n_locations + base->n_locations;
	out->locations = array_or_die(out, out->n_locations, sizeof *out->locations);
	memcpy(out->locations, current->locations, current->n_locations * sizeof *out->locations);
	for (size_t i = 0; i < base->n_locations; i++) {
		struct profile_location *location = &out->locations[current->n_locations + i];
		*location = base->locations[i];
		if (location->mapping != NO_MAPPING)
			location->mapping += (uint32_t)current->n_mappings;
		location->lines = array_or_die(out, location->n_lines, sizeof *location->lines);
		for (size_t j = 0; j < location->n_lines; j++) {
			location->lines[j] = base->locations[i].lines[j];
			location->lines[j].function += (uint32_t)current->n_functions;
		}
	}

	size_t n_values = current->n_sample_types;
	out->n_samples = current->n_samples + base->n_samples;
	out->samples = array_or_die(out, out->n_samples, sizeof *out->samples);
	memcpy(out->samples, current->samples, current->n_samples * sizeof *out->samples);
	for (size_t s = 0; s < base->n_samples; s++) {
		const struct profile_sample *in = &base->samples[s];
		struct profile_sample *sample = &out->samples[current->n_samples + s];
		sample->n_locations = in->n_locations;
		sample->locations = array_or_die(out, in->n_locations, sizeof *sample->locations);
		for (size_t i = 0; i < in->n_locations; i++)
			sample->locations[i] = in->locations[i] + current->n_locations;
		int64_t *values = array_or_die(out, n_values, sizeof *values);
		for (size_t i = 0; i < n_values; i++)
			values[i] = (int64_t)(0 - (uint64_t)in->values[i]); /* wraps as Go's -v does */
		sample->values = values;
		sample->message = base_labels(out, base, in->message, current->n_strings, diff_base);
	}
	return out;
}
