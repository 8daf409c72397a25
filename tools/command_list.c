#include <stdio.h>

#include "commands.h"
#include "flags.h"
#include "report/list.h"
#include "report/report.h"

static const char list_help[] =
	"usage: heapprof list [flags] REGEX PROFILE\n"
	"\n"
	"Prints the source of every function whose name matches REGEX (Go's regexp\n"
	"syntax, RE2's) with the value of each line, exactly as go tool pprof -list.\n"
	"PROFILE is a file or an http:// or https:// URL.\n"
	"\n"
	"  -sample_index=NAME|N  sample value to show (default: the profile's\n"
	"                        default_sample_type, else the last)\n"
	"  -source_path=DIRS     colon-separated directories to find sources in\n"
	"                        (default: the current directory and its parents)\n"
	"  -trim_path=PREFIXES   colon-separated prefixes to remove from file names\n"
	"  -unit=U               show values in unit U (default: minimum)\n" FLAGS_FETCH_HELP;

int command_list(int argc, char **argv)
{
	struct report_options options = REPORT_OPTIONS_DEFAULT;
	options.pprof_notes = true;
	const struct flag_spec specs[] = {
		{"sample_index", NULL, FLAG_STRING, &options.sample_index},
		{"source_path", NULL, FLAG_STRING, &options.source_path},
		{"trim_path", NULL, FLAG_STRING, &options.trim_path},
		{"unit", NULL, FLAG_STRING, &options.unit},
		{"seconds", NULL, FLAG_INT, &options.fetch.seconds},
		{"timeout", NULL, FLAG_INT, &options.fetch.timeout},
	};
	const struct flag_set flags = {
		.command = "list",
		.usage = list_help,
		.specs = specs,
		.n_specs = sizeof specs / sizeof *specs,
		.min_positional = 2,
		.max_positional = 2,
	};
	struct parsed_args args;
	flags_parse(argc, argv, &flags, &args);
	struct report rpt;
	report_open(&rpt, args.positional[1], &options);
	int status = list_print(&rpt, args.positional[0], stdout);
	report_close(&rpt);
	return status;
}
