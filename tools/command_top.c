#include <stdio.h>

#include "commands.h"
#include "flags.h"
#include "report/report.h"
#include "report/top.h"

static const char top_help[] =
	"usage: heapprof top [flags] [-base=BASE] PROFILE\n"
	"\n"
	"Prints the functions with the largest values, exactly as go tool pprof -top.\n"
	"PROFILE and BASE are files or http:// or https:// URLs.\n"
	"\n"
	"  -sample_index=NAME|N  sample value to show (default: the profile's\n"
	"                        default_sample_type, else the last)\n"
	"  -nodecount=N          show at most N functions (default: all)\n"
	"  -nodefraction=F       hide functions below F*total (default 0.005)\n"
	"  -cum                  sort by cumulative value\n"
	"  -unit=U               show values in unit U (default: minimum)\n"
	"  -base=BASE            show PROFILE minus BASE, as go tool pprof -base\n" FLAGS_FETCH_HELP;

int command_top_report(int argc, char **argv, const char *name, const char *help, bool as_diff)
{
	struct report_options options = REPORT_OPTIONS_DEFAULT;
	options.note_unnamed_main_binary = true;
	const char *base_path = NULL;
	const struct flag_spec specs[] = {
		{"sample_index", NULL, FLAG_STRING, &options.sample_index},
		{"nodecount", NULL, FLAG_INT, &options.node_count},
		{"nodefraction", NULL, FLAG_DOUBLE, &options.node_fraction},
		{"cum", NULL, FLAG_BOOL, &options.cum_sort},
		{"unit", NULL, FLAG_STRING, &options.unit},
		{"seconds", NULL, FLAG_INT, &options.fetch.seconds},
		{"timeout", NULL, FLAG_INT, &options.fetch.timeout},
		{"base", NULL, FLAG_STRING, &base_path},
	};
	/* diff takes its base as the first operand instead of -base. */
	int spec_count = sizeof specs / sizeof *specs - (as_diff ? 1 : 0);
	int operands = as_diff ? 2 : 1;
	const struct flag_set flags = {
		.command = name,
		.usage = help,
		.specs = specs,
		.n_specs = spec_count,
		.min_positional = operands,
		.max_positional = operands,
	};
	struct parsed_args args;
	flags_parse(argc, argv, &flags, &args);
	const char *profile = args.positional[as_diff ? 1 : 0];
	if (as_diff)
		base_path = args.positional[0];
	struct report rpt;
	if (base_path)
		report_open_with_base(&rpt, profile, base_path, &options);
	else
		report_open(&rpt, profile, &options);
	int status = top_print(&rpt, stdout);
	report_close(&rpt);
	return status;
}

int command_top(int argc, char **argv)
{
	return command_top_report(argc, argv, "top", top_help, false);
}
