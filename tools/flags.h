/* Command-line flags in the style go tool pprof accepts them: -name=value,
   -name value, --name=value, and -name alone for a boolean. */
#ifndef HEAPPROF_TOOLS_FLAGS_H
#define HEAPPROF_TOOLS_FLAGS_H

#include <stdbool.h>

enum flag_kind { FLAG_STRING, FLAG_INT, FLAG_DOUBLE, FLAG_BOOL };

struct flag_spec {
	const char *name;
	const char *short_name; /* NULL, or e.g. "o" for -o */
	enum flag_kind kind;
	void *target; /* const char **, int *, double * or bool * */
};

struct parsed_args {
	char **positional;
	int n_positional;
	bool help;
};

/* Parses argv[0..argc), moving the positional arguments to the front of
   argv (out->positional is argv, NULL-terminated). With stop_at_positional, the first argument that is
   not a flag ends the flags (it and the rest are positional, as for `run`);
   otherwise flags and positional arguments may mix. "--" ends the flags.
   An unknown or malformed flag is a usage error (exit 2). */
void parse_flags(int argc, char **argv, const struct flag_spec *specs, int n_specs, bool stop_at_positional,
		 const char *command, struct parsed_args *out);

#endif
