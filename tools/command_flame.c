#include <stdio.h>

#include "commands.h"
#include "flags.h"
#include "output_file.h"
#include "reader/diag.h"
#include "report/flame.h"
#include "report/report.h"

static const char flame_help[] =
	"usage: heapprof flame [-sample_index=NAME|N] PROFILE -o OUT.svg\n"
	"\n"
	"Draws a flame graph of one sample value as an SVG that opens in a browser:\n"
	"callers below callees, each frame as wide as its cumulative value, siblings\n"
	"in name order. Hovering a frame shows its name, value and share of the\n"
	"total; clicking one zooms to it (click \"all\" to zoom out), and the\n"
	"search box highlights the frames whose names contain what is typed.\n"
	"Samples with negative values are left out. PROFILE is a file or an\n"
	"http:// or https:// URL.\n"
	"\n"
	"  -sample_index=NAME|N  sample value to draw (default: the profile's\n"
	"                        default_sample_type, else the last)\n"
	"  -o, -output=FILE      where to write the SVG\n" FLAGS_FETCH_HELP;

int command_flame(int argc, char **argv)
{
	struct report_options options = REPORT_OPTIONS_DEFAULT;
	const char *out_path = NULL;
	const struct flag_spec specs[] = {
		{"sample_index", NULL, FLAG_STRING, &options.sample_index},
		{"output", "o", FLAG_STRING, &out_path},
		{"seconds", NULL, FLAG_INT, &options.fetch.seconds},
		{"timeout", NULL, FLAG_INT, &options.fetch.timeout},
	};
	const struct flag_set flags = {
		.command = "flame",
		.usage = flame_help,
		.specs = specs,
		.n_specs = sizeof specs / sizeof *specs,
		.min_positional = 1,
		.max_positional = 1,
		.needed = &out_path,
	};
	struct parsed_args args;
	flags_parse(argc, argv, &flags, &args);
	struct report rpt;
	report_open(&rpt, args.positional[0], &options);
	struct output_file out;
	char error[1024];
	if (output_file_open(&out, out_path, error, sizeof error))
		diag_die("%s", error);
	if (flame_write_svg(&rpt, out.stream, error, sizeof error) ||
	    output_file_close(&out, error, sizeof error))
		diag_die("%s", error);
	report_close(&rpt);
	return 0;
}
