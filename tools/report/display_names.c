#include "display_names.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "reader/budget_arena.h"

/* The C++ ABI's demangler, from the C++ runtime the command links. */
extern char *__cxa_demangle(const char *mangled, char *buffer, size_t *length, int *status);

static const char anonymous_namespace[] = "(anonymous namespace)";

void remove_matching(char *name, char open, char close)
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

/* Copies an operator's name ("operator()", "operator<<=", "operator new")
   from *in to *out, advancing both. */
static void copy_operator(const char **in, char **out)
{
	const char *end = *in + 8; /* "operator" */
	if (!strncmp(end, "()", 2) || !strncmp(end, "[]", 2))
		end += 2;
	else if (*end == ' ')
		end += 1 + strcspn(end + 1, "(<"); /* new, delete[], conversions */
	else
		end += strspn(end, "<>=!+-*/%^&|~,");
	memcpy(*out, *in, (size_t)(end - *in));
	*out += end - *in;
	*in = end;
}

/* pprof's demangled form: no template arguments, no parameters, no return
   type ("void std::vector<int>::push_back(int const&)" -> "std::vector::push_back"). */
static void strip_to_pprof_form(const char *demangled, char *out)
{
	char *start = out;
	int templates = 0;
	const char *last_top_space = NULL;
	char *out_after_space = NULL;
	for (const char *in = demangled; *in;) {
		if (!templates && !strncmp(in, anonymous_namespace, sizeof anonymous_namespace - 1)) {
			out = stpcpy(out, anonymous_namespace);
			in += sizeof anonymous_namespace - 1;
		} else if (!templates && !strncmp(in, "operator", 8) && !isalnum((unsigned char)in[8]) &&
			   in[8] != '_') {
			copy_operator(&in, &out);
		} else if (*in == '<') {
			templates++, in++;
		} else if (*in == '>' && templates) {
			templates--, in++;
		} else if (*in == '(' && !templates) {
			break; /* the parameters, and qualifiers after them */
		} else {
			if (!templates && *in == ' ') {
				last_top_space = in;
				out_after_space = out + 1;
			}
			if (!templates)
				*out++ = *in;
			in++;
		}
	}
	*out = '\0';
	if (last_top_space) /* what precedes the name is its return type */
		memmove(start, out_after_space, strlen(out_after_space) + 1);
}

static const char *demangled(struct profile *prof, const char *mangled)
{
	int status = -1;
	char *full = __cxa_demangle(mangled, NULL, NULL, &status);
	if (status != 0 || !full) {
		free(full);
		return NULL;
	}
	char *name = budget_arena_alloc(&prof->arena, strlen(full) + 1);
	if (name)
		strip_to_pprof_form(full, name);
	free(full);
	return name;
}

static const char *simplified(struct profile *prof, const char *system_name)
{
	if (!strncmp(system_name, "_Z", 2)) {
		const char *name = demangled(prof, system_name);
		if (name)
			return name;
	}
	if (!looks_like_demangled_cplusplus(system_name))
		return system_name;
	size_t length = strlen(system_name);
	char *copy = budget_arena_alloc(&prof->arena, length + 1);
	if (!copy)
		return system_name;
	memcpy(copy, system_name, length + 1);
	remove_matching(copy, '(', ')');
	remove_matching(copy, '<', '>');
	return copy;
}

void apply_display_names(struct profile *prof)
{
	for (size_t i = 0; i < prof->n_functions; i++) {
		struct profile_function *function = &prof->functions[i];
		if (function->name[0] && strcmp(function->system_name, function->name))
			continue; /* already a display name */
		function->name = simplified(prof, function->system_name);
	}
}
