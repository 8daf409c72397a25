#include <stdio.h>

#include "commands.h"
#include "flags.h"

static const char diff_help[] =
	"usage: heapprof diff [flags] OLD NEW\n"
	"\n"
	"What grew and what shrank from OLD to NEW: the top report of NEW minus OLD,\n"
	"exactly as go tool pprof -top -base=OLD NEW (heapprof top -base=OLD NEW).\n"
	"Positive values grew, negative values shrank; percentages are of the\n"
	"total absolute change. OLD and NEW are files or http:// or https:// URLs.\n"
	"\n"
	"  -sample_index=NAME|N  sample value to compare (default: the profile's\n"
	"                        default_sample_type, else the last)\n"
	"  -nodecount=N          show at most N functions (default: all)\n"
	"  -nodefraction=F       hide functions below F*total (default 0.005)\n"
	"  -cum                  sort by cumulative value\n"
	"  -flat                 sort by flat value (the default)\n"
	"  -unit=U               show values in unit U (default: minimum)\n" FLAGS_FETCH_HELP;

int command_diff(int argc, char **argv)
{
	return command_top_report(argc, argv, "diff", diff_help, true);
}
