#include "diag.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report(const char *format, va_list arguments)
{
	fflush(stdout);
	fputs("heapprof: ", stderr);
	vfprintf(stderr, format, arguments);
	fputc('\n', stderr);
}

void die(const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	report(format, arguments);
	va_end(arguments);
	exit(EXIT_BAD_INPUT);
}

void die_usage(const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	report(format, arguments);
	va_end(arguments);
	exit(EXIT_USAGE);
}

static void *checked(void *pointer)
{
	if (!pointer)
		die("out of memory");
	return pointer;
}

void *xmalloc(size_t size)
{
	return checked(malloc(size ? size : 1));
}

void *xcalloc(size_t count, size_t size)
{
	return checked(calloc(count ? count : 1, size ? size : 1));
}

void *xrealloc(void *pointer, size_t size)
{
	return checked(realloc(pointer, size ? size : 1));
}

void *xgrow(void *array, size_t *capacity, size_t wanted, size_t size)
{
	if (wanted <= *capacity)
		return array;
	size_t grown = *capacity ? *capacity : 8;
	while (grown < wanted) {
		if (grown > SIZE_MAX / 2 / size)
			die("out of memory");
		grown *= 2;
	}
	*capacity = grown;
	return xrealloc(array, grown * size);
}

char *xstrdup(const char *text)
{
	return checked(strdup(text));
}

char *xasprintf(const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	char *text = NULL;
	int length = vasprintf(&text, format, arguments);
	va_end(arguments);
	if (length < 0)
		die("out of memory");
	return text;
}
