#include <stdio.h>

#include "commands.h"
#include "flags.h"
#include "output_file.h"
#include "reader/diag.h"
#include "report/report_page.h"
#include "report/series.h"

static const char report_help[] =
	"usage: heapprof report [flags] PROFILE... -o OUT.html\n"
	"\n"
	"Writes one self-contained HTML page (no network needed to view it) about\n"
	"a series of profiles of one process, such as HEAPPROF_DUMP_PERIOD's dumps,\n"
	"taken in the order of their times: in-use over time, total and for the\n"
	"top sites, as a chart; the allocation sites ranked as leak suspects (in use\n"
	"that grows steadily and, where profiles label it with its age, is old),\n"
	"with their growth per hour; a flame graph of any profile, with zoom and\n"
	"search; top of the last profile and of the growth from the first to the\n"
	"last. One profile gives the page without the chart and the growth.\n"
	"PROFILEs are files or http:// or https:// URLs.\n"
	"\n"
	"  -sample_index=NAME|N  sample value to show (default: the profile's\n"
	"                        default_sample_type, else the last)\n"
	"  -old_age=SECONDS      memory at least this old counts as old (default:\n"
	"                        half the series' span; of one profile, half the\n"
	"                        oldest age in it)\n"
	"  -o, -output=FILE      where to write the page\n" FLAGS_FETCH_HELP;

int command_report(int argc, char **argv)
{
	struct report_options options = REPORT_OPTIONS_DEFAULT;
	const char *out_path = NULL;
	double old_age = 0;
	const struct flag_spec specs[] = {
		{"sample_index", NULL, FLAG_STRING, &options.sample_index},
		{"old_age", NULL, FLAG_DOUBLE, &old_age},
		{"output", "o", FLAG_STRING, &out_path},
		{"seconds", NULL, FLAG_INT, &options.fetch.seconds},
		{"timeout", NULL, FLAG_INT, &options.fetch.timeout},
	};
	const struct flag_set flags = {
		.command = "report",
		.usage = report_help,
		.specs = specs,
		.n_specs = sizeof specs / sizeof *specs,
		.min_positional = 1,
		.max_positional = -1,
		.needed = &out_path,
	};
	struct parsed_args args;
	flags_parse(argc, argv, &flags, &args);
	struct series series;
	series_open(&series, args.positional, (size_t)args.n_positional, &options, old_age);
	struct output_file out;
	char error[1024];
	if (output_file_open(&out, out_path, error, sizeof error))
		diag_die("%s", error);
	report_page_write(&series, out.stream);
	if (output_file_close(&out, error, sizeof error))
		diag_die("%s", error);
	series_close(&series);
	return 0;
}
