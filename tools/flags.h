/* Command-line flags in the style go tool pprof accepts them: -name=value,
   -name value, --name=value, and -name alone for a boolean; values in Go's
   syntax (go_strconv.h). */
#ifndef HEAPPROF_TOOLS_FLAGS_H
#define HEAPPROF_TOOLS_FLAGS_H

#include <stdbool.h>

enum flag_kind { FLAG_STRING, FLAG_INT, FLAG_DOUBLE, FLAG_BOOL };

struct flag_spec {
	const char *name;
	const char *short_name; /* NULL, or e.g. "o" for -o */
	enum flag_kind kind;
	void *target; /* const char **, int64_t *, double * or bool * */
};

/* A command's command line: its flags, its usage text and how many
   positional arguments it takes. */
struct flag_set {
	const char *command;
	const char *usage;
	const struct flag_spec *specs;
	int n_specs;
	int min_positional;
	int max_positional; /* -1: no limit */
	/* NULL, or the target of a FLAG_STRING the command cannot do without. */
	const char *const *needed;
	/* The first argument that is not a flag ends the flags (it and the rest
	   are positional, as for `run`); otherwise flags and positional
	   arguments may mix. */
	bool stop_at_positional;
};

/* The help of the flags of a command that reads profiles, which may be URLs:
   -seconds and -timeout, into reader/http_fetch.h's options. */
#define FLAGS_FETCH_HELP                                                              \
	"  -seconds=N            of a URL, a window of N seconds: seconds=N in its\n" \
	"                        query, as go tool pprof asks for one\n"              \
	"  -timeout=N            wait at most N seconds for a URL, 5 more for the\n"  \
	"                        transfer (default 60, or 1.5 times the window)\n"

struct parsed_args {
	char **positional;
	int n_positional;
};

/* Parses argv[0..argc), moving the positional arguments to the front of
   argv (out->positional is argv, NULL-terminated). "--" ends the flags.
   -h, -help or --help prints the usage on stdout and exits 0. An unknown or
   malformed flag, a missing needed flag or a wrong number of positional
   arguments is a usage error (exit 2); the last two print the usage. */
void flags_parse(int argc, char **argv, const struct flag_set *set, struct parsed_args *out);

#endif
