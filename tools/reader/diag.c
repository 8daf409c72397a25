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

void diag_die(const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	report(format, arguments);
	va_end(arguments);
	exit(EXIT_BAD_INPUT);
}

void diag_die_usage(const char *format, ...)
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
		diag_die("out of memory");
	return pointer;
}

void *diag_malloc(size_t size)
{
	return checked(malloc(size ? size : 1));
}

void *diag_calloc(size_t count, size_t size)
{
	return checked(calloc(count ? count : 1, size ? size : 1));
}

void *diag_realloc(void *pointer, size_t size)
{
	return checked(realloc(pointer, size ? size : 1));
}

void *diag_grow(void *array, size_t *capacity, size_t wanted, size_t size)
{
	if (wanted <= *capacity)
		return array;
	size_t grown = *capacity ? *capacity : 8;
	while (grown < wanted) {
		if (grown > SIZE_MAX / 2 / size)
			diag_die("out of memory");
		grown *= 2;
	}
	*capacity = grown;
	return diag_realloc(array, grown * size);
}

char *diag_strdup(const char *text)
{
	return checked(strdup(text));
}

char *diag_asprintf(const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	char *text = NULL;
	int length = vasprintf(&text, format, arguments);
	va_end(arguments);
	if (length < 0)
		diag_die("out of memory");
	return text;
}
