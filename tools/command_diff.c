#include <stdio.h>

#include "commands.h"
#include "diag.h"
#include "flags.h"
#include "report.h"
#include "top.h"

static const char diff_help[] =
    "usage: heapprof diff [flags] OLD NEW\n"
    "\n"
    "What grew and what shrank from OLD to NEW: the top report of NEW minus OLD,\n"
    "exactly as go tool pprof -top -base=OLD NEW (heapprof top -base=OLD NEW).\n"
    "Positive values grew, negative values shrank; percentages are of the\n"
    "total absolute change.\n"
    "\n"
    "  -sample_index=NAME|N  sample value to compare (default: the profile's\n"
    "                        default_sample_type, else the last)\n"
    "  -nodecount=N          show at most N functions (default: all)\n"
    "  -nodefraction=F       hide functions below F*total (default 0.005)\n"
    "  -cum                  sort by cumulative value\n"
    "  -unit=U               show values in unit U (default: minimum)\n";

int command_diff(int argc, char **argv) {
    report_options options = REPORT_OPTIONS_DEFAULT;
    const flag_spec specs[] = {
        {"sample_index", NULL, FLAG_STRING, &options.sample_index},
        {"nodecount", NULL, FLAG_INT, &options.node_count},
        {"nodefraction", NULL, FLAG_DOUBLE, &options.node_fraction},
        {"cum", NULL, FLAG_BOOL, &options.cum_sort},
        {"unit", NULL, FLAG_STRING, &options.unit},
    };
    parsed_args args;
    parse_flags(argc, argv, specs, sizeof specs / sizeof *specs, false, "diff", &args);
    if (args.help) {
        fputs(diff_help, stdout);
        return 0;
    }
    if (args.n_positional != 2) {
        fputs(diff_help, stderr);
        return EXIT_USAGE;
    }
    report rpt;
    report_open_with_base(&rpt, args.positional[1], args.positional[0], &options);
    int status = top_print(&rpt, stdout);
    report_close(&rpt);
    return status;
}
