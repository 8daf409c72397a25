/* What top and list share: the options pprof's reports take, opening a
   profile as pprof sees it, choosing the sample value, and formatting values. */
#ifndef HEAPPROF_TOOLS_REPORT_H
#define HEAPPROF_TOOLS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "reader/profile_reader.h"
#include "units.h"

struct report_options {
	const char *sample_index; /* a type name or a number; NULL for the default */
	int64_t node_count;       /* -1: the command's default */
	double node_fraction;
	bool cum_sort;
	const char *unit;
	const char *source_path;
	const char *trim_path;
	/* Print on stderr what go tool pprof notes before its report: that the
	   main binary has no file name (main_binary.h), numeric labels' units. */
	bool pprof_notes;
	struct http_fetch_options fetch; /* for a profile named by URL: -seconds, -timeout */
};

#define REPORT_OPTIONS_DEFAULT                                    \
	{                                                         \
		NULL, -1, 0.005, false, "minimum", "", "", false, \
		{                                                 \
			0, 0                                      \
		}                                                 \
	}

struct report {
	struct profile *prof;
	struct report_options options;
	size_t value_index;
	const char *sample_type;
	const char *sample_unit;
	const char *output_unit;
	int64_t total;
	struct profile *compared[2]; /* with a base: the two profiles prof borrows from */
};

/* Reads the profile, from a file or a URL, and prepares it as go tool pprof does
   before any report: display names, drop_frames, the chosen sample value and the
   total. Exits with status 1 on a bad profile and 2 on a sample index it does not
   have. */
void report_open(struct report *rpt, const char *source, const struct report_options *options);
/* The same for the difference from a base profile, as pprof's -base shows it,
   or with as_diff_base as -diff_base does (base_profile.h). */
void report_open_with_base(struct report *rpt, const char *source, const char *base_source, bool as_diff_base,
			   const struct report_options *options);
/* The same for a profile already read, which must have a sample type; the
   report takes ownership of it. */
void report_prepare(struct report *rpt, struct profile *prof, const struct report_options *options);
/* The profile as read, with a sample type (else exits with status 1), for
   report_prepare. */
struct profile *report_read_source(const char *source, const struct report_options *options);
void report_close(struct report *rpt);

void report_format_value(const struct report *rpt, int64_t value, char text[VALUE_TEXT_SIZE]);

#endif
