#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base_profile.h"
#include "frame_names.h"
#include "reader/diag.h"

struct site_table {
	struct intern_table stacks; /* a site's location ids, as bytes */
	uint32_t *key;              /* the stack being looked up */
	size_t key_capacity;
	size_t sites_capacity;
};

/* A profile's locations as ids in the series: equal when they name the same
   frames. A site is then a string of location ids, as long as its sample's
   list of locations, however many frames they hold. */
static uint32_t *location_ids(struct series *series, const struct profile *prof)
{
	struct frame_names frames;
	frame_names_build(&frames, &series->names, prof);
	uint32_t *ids = diag_malloc(prof->n_locations * sizeof *ids);
	for (size_t i = 0; i < prof->n_locations; i++)
		ids[i] = intern_table_add(&series->locations, (const char *)(frames.ids + frames.first[i]),
					  (frames.first[i + 1] - frames.first[i]) * sizeof *frames.ids);
	frame_names_free(&frames);
	return ids;
}

static int64_t saturated_sum(int64_t a, int64_t b)
{
	int64_t sum;
	if (__builtin_add_overflow(a, b, &sum))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return sum;
}

/* The site of a sample's stack, added with no values if it is new. */
static uint32_t site_of(struct series *series, struct site_table *table, const uint32_t *locations,
			const struct profile_sample *sample)
{
	size_t length = sample->n_locations;
	table->key = diag_grow(table->key, &table->key_capacity, length, sizeof *table->key);
	for (size_t i = 0; i < length; i++)
		table->key[i] = locations[sample->locations[i]];
	uint32_t id = intern_table_add(&table->stacks, (const char *)table->key, length * sizeof *table->key);
	if (id < series->n_sites)
		return id;
	series->sites = diag_grow(series->sites, &table->sites_capacity, id + 1, sizeof *series->sites);
	struct series_site *site = &series->sites[series->n_sites++];
	*site = (struct series_site){.n_locations = length};
	site->locations = diag_malloc(length * sizeof *site->locations);
	memcpy(site->locations, table->key, length * sizeof *site->locations);
	site->values = diag_calloc(series->n_profiles, sizeof *site->values);
	return id;
}

size_t series_site_frames(const struct series *series, const struct series_site *site, uint32_t *names,
			  size_t most)
{
	size_t count = 0;
	for (size_t i = 0; i < site->n_locations; i++) {
		const struct intern_key *location = &series->locations.entries[site->locations[i]];
		size_t length = location->length / sizeof *names;
		if (count < most)
			memcpy(names + count, location->bytes,
			       (length < most - count ? length : most - count) * sizeof *names);
		count += length;
	}
	return count;
}

/* A numeric label age in seconds, as libheapprof puts on in-use samples. */
static bool sample_age(const struct profile *prof, const struct profile_sample *sample, int64_t *age)
{
	for (size_t i = 0; i < sample->message->n_label; i++) {
		const Perftools__Profiles__Label *label = sample->message->label[i];
		if (!label->str && !strcmp(prof->strings[label->key], "age") &&
		    !strcmp(prof->strings[label->num_unit], "seconds")) {
			*age = label->num;
			return true;
		}
	}
	return false;
}

static void add_profile(struct series *series, struct site_table *table, size_t index)
{
	const struct report *rpt = &series->reports[index];
	const struct profile *prof = rpt->prof;
	uint32_t *locations = location_ids(series, prof);
	for (size_t s = 0; s < prof->n_samples; s++) {
		uint32_t id = site_of(series, table, locations, &prof->samples[s]);
		struct series_site *site = &series->sites[id];
		site->values[index] =
			saturated_sum(site->values[index], prof->samples[s].values[rpt->value_index]);
	}
	free(locations);
}

/* The oldest age a sample of the last profile is labelled with, or -1. */
static int64_t oldest_age(const struct series *series)
{
	const struct profile *prof = series->reports[series->n_profiles - 1].prof;
	int64_t oldest = -1, age;
	for (size_t s = 0; s < prof->n_samples; s++)
		if (sample_age(prof, &prof->samples[s], &age) && age > oldest)
			oldest = age;
	return oldest;
}

/* How much of each site's value in the last profile is old. Samples are
   matched to sites again, which finds each as it was added. */
static void add_ages(struct series *series, struct site_table *table)
{
	const struct report *rpt = &series->reports[series->n_profiles - 1];
	const struct profile *prof = rpt->prof;
	uint32_t *locations = location_ids(series, prof);
	int64_t age;
	for (size_t s = 0; s < prof->n_samples; s++) {
		const struct profile_sample *sample = &prof->samples[s];
		if (!sample_age(prof, sample, &age))
			continue;
		uint32_t id = site_of(series, table, locations, sample);
		struct series_site *site = &series->sites[id];
		int64_t value = sample->values[rpt->value_index];
		site->aged = saturated_sum(site->aged, value);
		if ((double)age >= series->old_seconds)
			site->old = saturated_sum(site->old, value);
	}
	free(locations);
}

double series_old_share(const struct series_site *site)
{
	return site->aged > 0 ? (double)site->old / (double)site->aged : NAN;
}

/* Where each profile is on the time axis: seconds from the first, or its
   position when the profiles do not say when they were taken. */
static double *time_axis(const struct series *series)
{
	double *x = diag_malloc(series->n_profiles * sizeof *x);
	for (size_t i = 0; i < series->n_profiles; i++)
		x[i] = series->span_seconds > 0 ? series->seconds[i] : (double)i;
	return x;
}

/* In-use that grows steadily and is old: the least-squares slope, times how
   monotone the steps are, times the old share where ages are known. One
   profile has no growth: its old value ranks, else its value. */
static void score_site(const struct series *series, struct series_site *site, const double *x)
{
	size_t n = series->n_profiles;
	double old_share = series_old_share(site);
	double old_factor = series->has_ages && !isnan(old_share) ? old_share : 1;
	site->growth_per_hour = NAN;
	if (n == 1) {
		site->score = (double)(series->has_ages ? site->old : site->values[0]);
		return;
	}
	double mean_x = 0, mean_y = 0;
	for (size_t i = 0; i < n; i++) {
		mean_x += x[i] / (double)n;
		mean_y += (double)site->values[i] / (double)n;
	}
	double sxx = 0, sxy = 0;
	for (size_t i = 0; i < n; i++) {
		sxx += (x[i] - mean_x) * (x[i] - mean_x);
		sxy += (x[i] - mean_x) * ((double)site->values[i] - mean_y);
	}
	double slope = sxx > 0 ? sxy / sxx : 0;
	if (series->span_seconds > 0)
		site->growth_per_hour = slope * 3600;
	long ups = 0, downs = 0;
	for (size_t i = 1; i < n; i++) {
		ups += site->values[i] > site->values[i - 1];
		downs += site->values[i] < site->values[i - 1];
	}
	site->steadiness = ups > downs ? (double)(ups - downs) / (double)(n - 1) : 0;
	site->score = slope > 0 ? slope * site->steadiness * old_factor : 0;
}

static int compare_suspects(const void *a, const void *b, void *context)
{
	const struct series *series = context;
	const struct series_site *left = &series->sites[*(const uint32_t *)a],
				 *right = &series->sites[*(const uint32_t *)b];
	if (left->score != right->score)
		return left->score > right->score ? -1 : 1;
	return (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

static int compare_sizes(const void *a, const void *b, void *context)
{
	const struct series *series = context;
	size_t last = series->n_profiles - 1;
	int64_t left = series->sites[*(const uint32_t *)a].values[last],
		right = series->sites[*(const uint32_t *)b].values[last];
	if (left != right)
		return left > right ? -1 : 1;
	return (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

static void rank_suspects(struct series *series)
{
	double *x = time_axis(series);
	series->suspects = diag_malloc(series->n_sites * sizeof *series->suspects);
	for (size_t i = 0; i < series->n_sites; i++) {
		score_site(series, &series->sites[i], x);
		if (series->sites[i].score > 0)
			series->suspects[series->n_suspects++] = (uint32_t)i;
	}
	qsort_r(series->suspects, series->n_suspects, sizeof *series->suspects, compare_suspects, series);
	free(x);
	series->largest = diag_malloc(series->n_sites * sizeof *series->largest);
	for (size_t i = 0; i < series->n_sites; i++)
		series->largest[i] = (uint32_t)i;
	qsort_r(series->largest, series->n_sites, sizeof *series->largest, compare_sizes, series);
}

struct raw_profile {
	struct profile *prof;
	const char *source;
	size_t order; /* on the command line, which breaks ties of time */
};

int64_t series_taken_nanos(const struct profile *prof)
{
	return saturated_sum(prof->time_nanos, prof->duration_nanos);
}

static int compare_times(const void *a, const void *b)
{
	const struct raw_profile *left = a, *right = b;
	int64_t left_taken = series_taken_nanos(left->prof), right_taken = series_taken_nanos(right->prof);
	if (left_taken != right_taken)
		return left_taken < right_taken ? -1 : 1;
	return (left->order > right->order) - (left->order < right->order);
}

/* Read, put in time order, and prepared as every report prepares them; the
   growth is subtracted first, from the profiles as read, as diff does. */
static void read_profiles(struct series *series, char **sources, const struct report_options *options)
{
	size_t n = series->n_profiles;
	struct raw_profile *raw = diag_malloc(n * sizeof *raw);
	for (size_t i = 0; i < n; i++)
		raw[i] = (struct raw_profile){report_read_source(sources[i], options), sources[i], i};
	qsort(raw, n, sizeof *raw, compare_times);
	if (n > 1) {
		report_prepare(&series->growth, base_profile_subtract(raw[n - 1].prof, raw[0].prof, false),
			       options);
		series->has_growth = true;
	}
	series->reports = diag_malloc(n * sizeof *series->reports);
	series->sources = diag_malloc(n * sizeof *series->sources);
	for (size_t i = 0; i < n; i++) {
		report_prepare(&series->reports[i], raw[i].prof, options);
		series->sources[i] = raw[i].source;
	}
	free(raw);
	series->seconds = diag_malloc(n * sizeof *series->seconds);
	double first = (double)series_taken_nanos(series->reports[0].prof);
	for (size_t i = 0; i < n; i++)
		series->seconds[i] = ((double)series_taken_nanos(series->reports[i].prof) - first) / 1e9;
	series->span_seconds = series->seconds[n - 1];
}

void series_open(struct series *series, char **sources, size_t n_sources,
		 const struct report_options *options, double old_seconds)
{
	*series = (struct series){.n_profiles = n_sources};
	read_profiles(series, sources, options);
	struct site_table table = {0};
	intern_table_init(&series->names);
	intern_table_init(&series->locations);
	intern_table_init(&table.stacks);
	series->totals = diag_malloc(n_sources * sizeof *series->totals);
	for (size_t i = 0; i < n_sources; i++) {
		add_profile(series, &table, i);
		series->totals[i] = series->reports[i].total;
	}
	int64_t oldest = oldest_age(series);
	series->has_ages = oldest >= 0;
	series->old_seconds = old_seconds > 0            ? old_seconds
			      : series->span_seconds > 0 ? series->span_seconds / 2
							 : (double)oldest / 2;
	add_ages(series, &table);
	rank_suspects(series);
	intern_table_free(&table.stacks);
	free(table.key);
}

void series_close(struct series *series)
{
	/* The growth borrows from the first and last profiles. */
	if (series->has_growth)
		report_close(&series->growth);
	for (size_t i = 0; i < series->n_profiles; i++)
		report_close(&series->reports[i]);
	for (size_t i = 0; i < series->n_sites; i++) {
		free(series->sites[i].locations);
		free(series->sites[i].values);
	}
	intern_table_free(&series->names);
	intern_table_free(&series->locations);
	free(series->sites);
	free(series->suspects);
	free(series->largest);
	free(series->totals);
	free(series->seconds);
	free(series->reports);
	free(series->sources);
}
