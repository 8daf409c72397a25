/* heapprof: reads pprof heap profiles and shows them as go tool pprof does. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "reader/diag.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"top", command_top, "the functions with the most memory, as go tool pprof -top"},
	{"diff", command_diff, "what grew and what shrank between two profiles (top -base=OLD NEW)"},
	{"flame", command_flame, "a flame graph of a profile as an SVG for the browser"},
	{"report", command_report, "a page about a series of profiles: growth, leak suspects, flame graphs"},
	{"list", command_list, "annotated source of matching functions, as go tool pprof -list"},
	{"run", command_run, "run a program with the profiler preloaded and show its profile"},
	{"symbolize", command_symbolize, "add function names, files and lines from local binaries"},
};

static void print_usage(FILE *out)
{
	fputs("usage: heapprof COMMAND [ARGS...]\n\ncommands:\n", out);
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'heapprof COMMAND --help' for the flags of one command.\n"
	      "Profiles may be gzip, zstd or uncompressed profile.proto, in a file or at\n"
	      "an http:// or https:// URL (such as a program's /debug/pprof/heap).\n"
	      "Exit status: 0 success, 1 bad input, 2 usage error.\n",
	      out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		print_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].run(argc - 2, argv + 2);
	diag_die_usage("unknown command \"%s\" (see heapprof --help)", name);
}
