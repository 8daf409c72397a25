#include "flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/diag.h"
#include "report/go_strconv.h"

static const struct flag_spec *find_flag(const struct flag_spec *specs, int n_specs, const char *name,
					 size_t length)
{
	for (int i = 0; i < n_specs; i++) {
		const char *names[2] = {specs[i].name, specs[i].short_name};
		for (int j = 0; j < 2; j++)
			if (names[j] && strlen(names[j]) == length && !strncmp(names[j], name, length))
				return &specs[i];
	}
	return NULL;
}

/* Values as Go's flag package parses them (strconv, base 0 for integers). */
static void set_value(const struct flag_spec *spec, const char *value, const char *command)
{
	switch (spec->kind) {
	case FLAG_STRING:
		*(const char **)spec->target = value;
		return;
	case FLAG_INT:
		if (!go_parse_int64(value, 0, spec->target))
			diag_die_usage("%s: invalid value \"%s\" for -%s: want an integer", command, value,
				       spec->name);
		return;
	case FLAG_DOUBLE:
		if (!go_parse_float64(value, spec->target))
			diag_die_usage("%s: invalid value \"%s\" for -%s: want a number", command, value,
				       spec->name);
		return;
	case FLAG_BOOL:
		if (!go_parse_bool(value, spec->target))
			diag_die_usage("%s: invalid value \"%s\" for -%s: want true or false", command, value,
				       spec->name);
		return;
	}
}

/* Handles the flag at argv[*index]; may consume the next argument as its
   value. Returns whether the flag asked for help. */
static bool parse_one(int argc, char **argv, int *index, const struct flag_set *set)
{
	const char *arg = argv[*index];
	const char *name = arg + (arg[1] == '-' ? 2 : 1);
	const char *equals = strchr(name, '=');
	size_t length = equals ? (size_t)(equals - name) : strlen(name);
	if ((length == 4 && !strncmp(name, "help", 4)) || (length == 1 && name[0] == 'h'))
		return true;
	const char *command = set->command;
	const struct flag_spec *spec = find_flag(set->specs, set->n_specs, name, length);
	if (!spec)
		diag_die_usage("%s: unknown flag %s (see heapprof %s --help)", command, arg, command);
	if (equals)
		set_value(spec, equals + 1, command);
	else if (spec->kind == FLAG_BOOL)
		*(bool *)spec->target = true;
	else if (*index + 1 < argc)
		set_value(spec, argv[++*index], command);
	else
		diag_die_usage("%s: flag %s needs a value", command, arg);
	return false;
}

static bool command_line_complete(const struct flag_set *set, int n_positional)
{
	bool count_fits = n_positional >= set->min_positional &&
			  (set->max_positional < 0 || n_positional <= set->max_positional);
	return count_fits && (!set->needed || *set->needed);
}

void flags_parse(int argc, char **argv, const struct flag_set *set, struct parsed_args *out)
{
	out->positional = argv; /* positional arguments are moved down over the flags */
	out->n_positional = 0;
	bool flags_over = false, help = false;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (!flags_over && !strcmp(arg, "--")) {
			flags_over = true;
		} else if (!flags_over && arg[0] == '-' && arg[1]) {
			help |= parse_one(argc, argv, &i, set);
		} else {
			out->positional[out->n_positional++] = argv[i];
			if (set->stop_at_positional)
				flags_over = true;
		}
	}
	out->positional[out->n_positional] = NULL;
	if (help) {
		fputs(set->usage, stdout);
		exit(0);
	}
	if (!command_line_complete(set, out->n_positional)) {
		fputs(set->usage, stderr);
		exit(EXIT_USAGE);
	}
}
