#include <stdio.h>

#include "commands.h"
#include "flags.h"
#include "profile_symbolizer.h"
#include "reader/diag.h"

static const char symbolize_help[] =
	"usage: heapprof symbolize IN -o OUT\n"
	"\n"
	"Resolves every location without symbols through its mapping's binary\n"
	"(found by path, or by build ID also under /usr/lib/debug/.build-id) with\n"
	"elfutils: function names, files, lines and inlined frames. OUT may be IN; it\n"
	"is zstd-compressed when it ends in .zst, plain when it ends in .pb, else gzip.\n"
	"Binaries that cannot be found are named on stderr; their locations stay as\n"
	"they were.\n";

int command_symbolize(int argc, char **argv)
{
	const char *out_path = NULL;
	const struct flag_spec specs[] = {{"output", "o", FLAG_STRING, &out_path}};
	const struct flag_set flags = {
		.command = "symbolize",
		.usage = symbolize_help,
		.specs = specs,
		.n_specs = sizeof specs / sizeof *specs,
		.min_positional = 1,
		.max_positional = 1,
		.needed = &out_path,
	};
	struct parsed_args args;
	flags_parse(argc, argv, &flags, &args);
	struct symbolize_stats stats;
	char error[1024];
	if (profile_symbolizer_write(args.positional[0], out_path, stderr, &stats, error, sizeof error))
		diag_die("%s", error);
	fprintf(stderr, "heapprof: %s: symbolized %zu locations", out_path, stats.locations_symbolized);
	if (stats.locations_unresolved)
		fprintf(stderr, "; %zu addresses have no symbol", stats.locations_unresolved);
	fputc('\n', stderr);
	return 0;
}
