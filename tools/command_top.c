#include <stdio.h>

#include "commands.h"
#include "diag.h"
#include "flags.h"
#include "report.h"
#include "top.h"

static const char top_help[] =
    "usage: heapprof top [flags] [-base=BASE] PROFILE\n"
    "\n"
    "Prints the functions with the largest values, exactly as go tool pprof -top.\n"
    "\n"
    "  -sample_index=NAME|N  sample value to show (default: the profile's\n"
    "                        default_sample_type, else the last)\n"
    "  -nodecount=N          show at most N functions (default: all)\n"
    "  -nodefraction=F       hide functions below F*total (default 0.005)\n"
    "  -cum                  sort by cumulative value\n"
    "  -unit=U               show values in unit U (default: minimum)\n"
    "  -base=BASE            show PROFILE minus BASE, as go tool pprof -base\n";

int command_top(int argc, char **argv) {
    report_options options = REPORT_OPTIONS_DEFAULT;
    const char *base_path = NULL;
    const flag_spec specs[] = {
        {"sample_index", NULL, FLAG_STRING, &options.sample_index},
        {"nodecount", NULL, FLAG_INT, &options.node_count},
        {"nodefraction", NULL, FLAG_DOUBLE, &options.node_fraction},
        {"cum", NULL, FLAG_BOOL, &options.cum_sort},
        {"unit", NULL, FLAG_STRING, &options.unit},
        {"base", NULL, FLAG_STRING, &base_path},
    };
    parsed_args args;
    parse_flags(argc, argv, specs, sizeof specs / sizeof *specs, false, "top", &args);
    if (args.help) {
        fputs(top_help, stdout);
        return 0;
    }
    if (args.n_positional != 1) {
        fputs(top_help, stderr);
        return EXIT_USAGE;
    }
    report rpt;
    if (base_path)
        report_open_with_base(&rpt, args.positional[0], base_path, &options);
    else
        report_open(&rpt, args.positional[0], &options);
    int status = top_print(&rpt, stdout);
    report_close(&rpt);
    return status;
}
