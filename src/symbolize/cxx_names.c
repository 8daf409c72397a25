#include "cxx_names.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The end of the balanced group that starts at `open` (one of ( < {), or of the string. */
static const char *group_end(const char *open)
{
	char opening = *open, closing = opening == '(' ? ')' : opening == '<' ? '>' : '}';
	int depth = 0;
	for (const char *cursor = open; *cursor; cursor++) {
		if (*cursor == opening)
			depth++;
		else if (*cursor == closing && --depth == 0)
			return cursor + 1;
	}
	return open + strlen(open);
}

/* After "operator": the operator's own characters ("<<", "()", "[]", " new",
   " delete[]", " int"). */
static const char *operator_end(const char *cursor)
{
	if (strncmp(cursor, "()", 2) == 0)
		return cursor + 2;
	if (*cursor == ' ') {
		cursor++;
		while (*cursor && (isalnum((unsigned char)*cursor) || *cursor == '_' || *cursor == ':'))
			cursor++;
		return strncmp(cursor, "[]", 2) == 0 ? cursor + 2 : cursor;
	}
	while (*cursor && strchr("<>=!+-*/%^&|~[],", *cursor))
		cursor++;
	return cursor;
}

static char *copy_span(char *out, const char *from, const char *to)
{
	memcpy(out, from, (size_t)(to - from));
	return out + (to - from);
}

void cxx_names_simplify(const char *name, char *out)
{
	static const char anonymous[] = "(anonymous namespace)";
	char *start = out;
	const char *cursor = name;
	while (*cursor) {
		const char *end;
		if (strncmp(cursor, anonymous, sizeof anonymous - 1) == 0) {
			out = copy_span(out, cursor, cursor + sizeof anonymous - 1);
			cursor += sizeof anonymous - 1;
		} else if (strncmp(cursor, "operator", 8) == 0 && !isalnum((unsigned char)cursor[8]) &&
			   cursor[8] != '_') {
			end = operator_end(cursor + 8);
			out = copy_span(out, cursor, end);
			cursor = end;
			/* A templated operator: "operator<< <int>". */
			if (cursor[0] == ' ' && cursor[1] == '<')
				cursor = group_end(cursor + 1);
		} else if (*cursor == '<') {
			cursor = group_end(cursor);
		} else if (*cursor == '{') {
			/* A lambda or other local entity: "{lambda(int)#1}" is its name. */
			end = group_end(cursor);
			out = copy_span(out, cursor, end);
			cursor = end;
		} else if (*cursor == '(') {
			end = group_end(cursor);
			/* The parameters of an enclosing function, in a local name, stay. */
			if (strncmp(end, "::", 2) != 0)
				break;
			out = copy_span(out, cursor, end);
			cursor = end;
		} else if (*cursor == ' ') {
			/* What came before a top-level space was a return type. */
			out = start;
			cursor++;
		} else {
			*out++ = *cursor++;
		}
	}
	*out = '\0';
}

char *cxx_names_demangle(cxx_demangler *demangle, const char *name)
{
	if (!demangle || strncmp(name, "_Z", 2) != 0)
		return NULL;
	int status = -1;
	char *demangled = demangle(name, NULL, NULL, &status);
	if (status != 0 || !demangled) {
		free(demangled);
		return NULL;
	}
	char *simple = malloc(strlen(demangled) + 1);
	if (simple)
		cxx_names_simplify(demangled, simple);
	free(demangled);
	return simple;
}
