#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base_profile.h"
#include "display_names.h"
#include "graph.h"
#include "main_binary.h"
#include "prune.h"
#include "reader/diag.h"
#include "sample_merge.h"

/* Go's strconv.Atoi: an optional sign and decimal digits, nothing else. */
static bool parse_index(const char *text, long long *value)
{
	const char *digits = text + (*text == '+' || *text == '-');
	if (!*digits || strspn(digits, "0123456789") != strlen(digits))
		return false;
	errno = 0;
	*value = strtoll(text, NULL, 10);
	return errno == 0;
}

static _Noreturn void die_unknown_index(const struct profile *prof, const char *wanted)
{
	char types[1024] = "";
	size_t used = 0;
	for (size_t i = 0; i < prof->n_sample_types && used < sizeof types; i++)
		used += (size_t)snprintf(types + used, sizeof types - used, "%s%s", i ? " " : "",
					 prof->sample_types[i].type);
	diag_die_usage("sample_index \"%s\" must be one of: [%s]", wanted, types);
}

/* pprof's rule: the default sample type if the profile names one, else the last. */
static size_t choose_value_index(const struct profile *prof, const char *wanted)
{
	if (!wanted) {
		for (size_t i = 0; prof->default_sample_type[0] && i < prof->n_sample_types; i++)
			if (!strcmp(prof->sample_types[i].type, prof->default_sample_type))
				return i;
		return prof->n_sample_types - 1;
	}
	long long number;
	if (parse_index(wanted, &number)) {
		if (number < 0 || (unsigned long long)number >= prof->n_sample_types)
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

/* Before anything else is reported, as pprof notes it while symbolizing. */
static void note_unnamed_main_binary(const struct report_options *options, const struct profile *merged,
				     const struct profile *current, const struct profile *base)
{
	if (options->note_unnamed_main_binary && main_binary_unnamed(merged, current, base))
		fputs("Main binary filename not available.\n", stderr);
}

void report_open(struct report *rpt, const char *path, const struct report_options *options)
{
	struct profile *prof = profile_reader_read_or_die(path);
	if (prof->n_sample_types == 0)
		diag_die("%s: profile has no samples", path);
	note_unnamed_main_binary(options, prof, prof, NULL);
	report_prepare(rpt, prof, options);
}

void report_open_with_base(struct report *rpt, const char *path, const char *base_path, bool as_diff_base,
			   const struct report_options *options)
{
	struct profile *current = profile_reader_read_or_die(path);
	if (current->n_sample_types == 0)
		diag_die("%s: profile has no samples", path);
	struct profile *base = profile_reader_read_or_die(base_path);
	struct profile *merged = base_profile_subtract(current, base, as_diff_base);
	note_unnamed_main_binary(options, merged, current, base);
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
