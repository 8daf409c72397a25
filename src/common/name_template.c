#include "name_template.h"

#include <limits.h>
#include <string.h>

struct expansion {
	char *out;
	size_t size, length; /* length counts what would have been written */
};

static void append(struct expansion *expansion, const char *text, size_t length)
{
	if (expansion->length < expansion->size) {
		size_t room = expansion->size - expansion->length - 1;
		memcpy(expansion->out + expansion->length, text, length < room ? length : room);
	}
	expansion->length += length;
}

static void append_literal(struct expansion *expansion, char character, const char *escaped)
{
	if (escaped && strchr(escaped, character))
		append(expansion, "\\", 1);
	append(expansion, &character, 1);
}

static const char *value_of(char escape, const struct name_template_values *values)
{
	switch (escape) {
	case 'p':
		return values->pid;
	case 'e':
		return values->program;
	case 'n':
		return values->sequence;
	default:
		return NULL;
	}
}

size_t name_template_expand(const char *template, const struct name_template_values *values, char *out,
			    size_t size)
{
	struct expansion expansion = {out, size, 0};
	for (const char *cursor = template; *cursor; cursor++) {
		if (*cursor != '%' || !cursor[1]) {
			append_literal(&expansion, *cursor, values->escaped);
			continue;
		}
		const char *value = value_of(*++cursor, values);
		if (value)
			append(&expansion, value, strlen(value));
		else
			append_literal(&expansion, *cursor, values->escaped);
	}
	if (size)
		out[expansion.length < size ? expansion.length : size - 1] = '\0';
	return expansion.length;
}

bool name_template_is_valid(const char *template)
{
	size_t length = strnlen(template, PATH_MAX);
	if (length == 0 || length == PATH_MAX)
		return false;
	for (const char *cursor = template; *cursor; cursor++) {
		if (*cursor != '%')
			continue;
		cursor++;
		if (*cursor != 'p' && *cursor != 'e' && *cursor != 'n' && *cursor != '%')
			return false;
	}
	return true;
}
