#include "display_names.h"

#include <stdlib.h>
#include <string.h>

#include "cxx_names.h"
#include "reader/budget_arena.h"

/* Removes every outermost open...close group from name, in place, leaving the
   name untouched if the groups do not nest properly. */
static void remove_matching(char *name, char open, char close)
{
	size_t length = strlen(name), first = 0;
	int nesting = 0;
	for (size_t i = 0; i < length; i++) {
		if (name[i] == open) {
			if (++nesting == 1)
				first = i;
		} else if (name[i] == close) {
			if (--nesting < 0)
				return; /* pprof gives up here, keeping what it removed so far */
			if (nesting == 0) {
				memmove(name + first, name + i + 1, length - i);
				length -= i + 1 - first;
				i = first - 1; /* wraps for first == 0; the loop's i++ undoes it */
			}
		}
	}
}

static int looks_like_demangled_cplusplus(const char *name)
{
	if (strstr(name, ".<") || strstr(name, "]).")) /* Java "class.<init>", Go "pkg.(*T[...]).M" */
		return 0;
	return strpbrk(name, "<>[]") || strstr(name, "::");
}

/* `name` in the profile's arena, or NULL. */
static char *arena_copy(struct profile *prof, const char *name)
{
	size_t size = strlen(name) + 1;
	char *copy = budget_arena_alloc(&prof->arena, size);
	if (copy)
		memcpy(copy, name, size);
	return copy;
}

static const char *simplified(struct profile *prof, const char *system_name)
{
	char *demangled = cxx_names_demangle(system_name);
	const char *name = demangled ? arena_copy(prof, demangled) : NULL;
	free(demangled);
	if (name)
		return name;
	if (!looks_like_demangled_cplusplus(system_name))
		return system_name;
	char *copy = arena_copy(prof, system_name);
	if (!copy)
		return system_name;
	remove_matching(copy, '(', ')');
	remove_matching(copy, '<', '>');
	return copy;
}

void display_names_apply(struct profile *prof)
{
	for (size_t i = 0; i < prof->n_functions; i++) {
		struct profile_function *function = &prof->functions[i];
		if (function->name[0] && strcmp(function->system_name, function->name))
			continue; /* already a display name */
		function->name = simplified(prof, function->system_name);
	}
}
