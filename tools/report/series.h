/* heapprof report's analysis: profiles of one process ordered by when they
   were taken, the in-use value of each allocation site in each, and the sites
   ranked as leak suspects. */
#ifndef HEAPPROF_TOOLS_SERIES_H
#define HEAPPROF_TOOLS_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader/intern_table.h"
#include "report.h"

/* An allocation site: the samples whose stacks name the same frames. */
struct series_site {
	uint32_t *locations; /* series.locations ids, leaf first */
	size_t n_locations;
	int64_t *values; /* in each profile of the series, in time order */
	/* In the last profile, of the value of the samples labelled with an age:
	   all of it, and the part at least series.old_seconds old. */
	int64_t aged, old;
	double growth_per_hour; /* least-squares slope; NaN without a time span */
	double steadiness;      /* (steps up - steps down) / steps, at least 0 */
	double score;           /* what suspects are ranked by; > 0 for a suspect */
};

struct series {
	struct report *reports; /* in time order */
	const char **sources;   /* in time order */
	size_t n_profiles;
	/* With two profiles or more: the last minus the first, as diff shows it. */
	struct report growth;
	bool has_growth;
	struct intern_table names;     /* frame names, by id */
	struct intern_table locations; /* a location's frames as names ids, innermost first */
	struct series_site *sites;
	size_t n_sites;
	uint32_t *suspects; /* site indices, most suspect first */
	size_t n_suspects;
	uint32_t *largest;   /* every site, the largest in the last profile first */
	int64_t *totals;     /* of each profile */
	double *seconds;     /* when each was taken, from when the first was */
	double span_seconds; /* from the first profile's time to the last's */
	bool has_ages;       /* the last profile labels in-use samples with their age */
	double old_seconds;  /* from what age memory counts as old */
};

/* When a profile was taken: time_nanos plus duration_nanos, as libheapprof's
   profiles count from the process's start (Go's heap profiles from their own
   time, with no duration). */
int64_t series_taken_nanos(const struct profile *prof);

/* Reads the profiles (files or URLs) and analyses them. old_seconds <= 0
   chooses it: half the span, or with no span half the oldest age seen.
   Exits as report_open does on a bad profile. */
void series_open(struct series *series, char **sources, size_t n_sources,
		 const struct report_options *options, double old_seconds);
void series_close(struct series *series);

/* The names of a site's first frames, leaf first: at most `most` of them,
   into names. Returns how many frames it has in all. */
size_t series_site_frames(const struct series *series, const struct series_site *site, uint32_t *names,
			  size_t most);
/* The share of a site's aged value that is old, or NaN when none is aged. */
double series_old_share(const struct series_site *site);

#endif
