#include "base_profile.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "go_int.h"
#include "reader/diag.h"
#include "sample_merge.h"
#include "units.h"

/* The merged profile's arena has no budget, so only the system can refuse. */
static void *array_or_die(struct profile *prof, size_t count, size_t size)
{
	void *array = budget_arena_array(&prof->arena, count, size);
	if (!array)
		diag_die("out of memory");
	return array;
}

static _Noreturn void die_incompatible(void)
{
	diag_die("the base profile's sample or period types differ from the profile's");
}

static double ratio(const char *from_unit, const char *to_unit)
{
	const char *unit;
	return units_scale(1, from_unit, to_unit, &unit);
}

/* pprof's measurement package takes two types for one when their names
   differ at most by a trailing 's' and their units are of one kind; the
   profiles are then merged in the finer unit, the profile's when the two are
   as fine. profile.Merge then wants the names the same. */
static struct value_type common_type(const struct value_type *current, const struct value_type *base)
{
	if (strcmp(current->type, base->type) || !units_compatible(current->unit, base->unit))
		die_incompatible();
	const char *unit = ratio(base->unit, current->unit) < 1 ? base->unit : current->unit;
	return (struct value_type){current->type, unit};
}

/* measurement.ScaleProfiles: the types of the merged profile, and by how
   much each profile's values are multiplied to be in their units. */
static void scale_units(struct profile *out, const struct profile *current, const struct profile *base,
			double *current_ratios, double *base_ratios)
{
	if (current->n_sample_types != base->n_sample_types)
		die_incompatible();
	out->period_type = common_type(&current->period_type, &base->period_type);
	out->n_sample_types = current->n_sample_types;
	out->sample_types = array_or_die(out, out->n_sample_types, sizeof *out->sample_types);
	for (size_t i = 0; i < out->n_sample_types; i++) {
		out->sample_types[i] = common_type(&current->sample_types[i], &base->sample_types[i]);
		current_ratios[i] = ratio(current->sample_types[i].unit, out->sample_types[i].unit);
		base_ratios[i] = ratio(base->sample_types[i].unit, out->sample_types[i].unit);
	}
}

/* Profile.ScaleN: each value times its ratio as Go rounds it, in place. A
   sample goes when the values it scaled are all zero. */
static bool scaled_values(int64_t *values, const double *ratios, size_t count)
{
	bool scaled = false, kept = false;
	for (size_t i = 0; i < count; i++) {
		if (ratios[i] == 1)
			continue;
		values[i] = go_int64_of(round((double)values[i] * ratios[i]));
		scaled = true;
		kept |= values[i] != 0;
	}
	return !scaled || kept;
}

/* combineHeaders of profile.Merge, including its choice of time: a zero
   time in the base replaces the profile's. */
static void combine_headers(struct profile *out, const struct profile *current, const struct profile *base)
{
	out->drop_frames = current->drop_frames;
	out->keep_frames = current->keep_frames;
	out->time_nanos = current->time_nanos;
	if (out->time_nanos == 0 || base->time_nanos < out->time_nanos)
		out->time_nanos = base->time_nanos;
	out->duration_nanos = (int64_t)((uint64_t)current->duration_nanos + (uint64_t)base->duration_nanos);
	out->period = current->period > base->period ? current->period : base->period;
	out->default_sample_type =
		current->default_sample_type[0] ? current->default_sample_type : base->default_sample_type;
	out->comments = array_or_die(out, current->n_comments + base->n_comments, sizeof *out->comments);
	const struct profile *sources[] = {current, base};
	out->n_comments = sample_merge_comments(out->comments, sources, 2);
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

/* Where a profile's samples go in the merged profile. */
struct sample_source {
	const struct profile *prof;
	size_t location_offset, string_offset;
	bool is_base;
	Perftools__Profiles__Label *diff_base;
};

static bool all_zero(const int64_t *values, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (values[i])
			return false;
	return true;
}

static void add_sample(struct profile *out, const struct sample_source *source,
		       const struct profile_sample *in, int64_t *values)
{
	struct profile_sample *sample = &out->samples[out->n_samples++];
	*sample = *in;
	sample->values = values;
	if (!source->is_base)
		return;
	sample->locations = array_or_die(out, in->n_locations, sizeof *sample->locations);
	for (size_t i = 0; i < in->n_locations; i++)
		sample->locations[i] = in->locations[i] + source->location_offset;
	sample->message =
		base_labels(out, source->prof, in->message, source->string_offset, source->diff_base);
}

/* A profile's samples as pprof holds them when it merges the two: equal
   samples summed into the first (pprof merges each profile with itself as
   it reads it), zero sums gone, then scaled by each of n_steps ratios in
   turn, through float64 (Profile.ScaleN). */
static void add_samples(struct profile *out, const struct sample_source *source, const double *const *steps,
			size_t n_steps)
{
	const struct profile *prof = source->prof;
	size_t n_values = prof->n_sample_types;
	uint32_t *group = diag_calloc(prof->n_samples + 1, sizeof *group);
	size_t n_groups = sample_merge_groups(prof, group);
	int64_t *sums = diag_calloc(n_groups * n_values + 1, sizeof *sums);
	size_t *first = diag_malloc((n_groups + 1) * sizeof *first);
	for (size_t g = 0; g < n_groups; g++)
		first[g] = SIZE_MAX;
	for (size_t s = 0; s < prof->n_samples; s++) {
		const int64_t *values = prof->samples[s].values;
		for (size_t i = 0; i < n_values; i++)
			go_add(&sums[group[s] * n_values + i], values[i]);
		if (first[group[s]] == SIZE_MAX && !all_zero(values, n_values))
			first[group[s]] = s; /* Merge skips samples of zeros */
	}
	for (size_t s = 0; s < prof->n_samples; s++) {
		if (first[group[s]] != s)
			continue;
		int64_t *values = array_or_die(out, n_values, sizeof *values);
		memcpy(values, &sums[group[s] * n_values], n_values * sizeof *values);
		bool kept = !all_zero(values, n_values);
		for (size_t step = 0; kept && step < n_steps; step++)
			kept = scaled_values(values, steps[step], n_values);
		if (kept)
			add_sample(out, source, &prof->samples[s], values);
	}
	free(group);
	free(sums);
	free(first);
}

struct profile *base_profile_subtract(const struct profile *current, const struct profile *base,
				      bool as_diff_base)
{
	struct profile *out = diag_calloc(1, sizeof *out);
	budget_arena_init(&out->arena, SIZE_MAX);
	out->message = current->message;
	double *current_ratios = array_or_die(out, current->n_sample_types, sizeof *current_ratios);
	double *base_ratios = array_or_die(out, current->n_sample_types, sizeof *base_ratios);
	scale_units(out, current, base, current_ratios, base_ratios);
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

	out->samples = array_or_die(out, current->n_samples + base->n_samples, sizeof *out->samples);
	struct sample_source sources[2] = {{current, 0, 0, false, NULL},
					   {base, current->n_locations, current->n_strings, true, diff_base}};
	const double *current_steps[] = {current_ratios};
	add_samples(out, &sources[0], current_steps, 1);
	/* pprof negates the base (pbase.Scale(-1)) before it scales its units. */
	double *negated = array_or_die(out, base->n_sample_types, sizeof *negated);
	for (size_t i = 0; i < base->n_sample_types; i++)
		negated[i] = -1;
	const double *base_steps[] = {negated, base_ratios};
	add_samples(out, &sources[1], base_steps, 2);
	return out;
}
