/* Error reporting and checked allocation for the heapprof command.

   Every failure the user can cause ends in exactly one "heapprof: ..." line on
   stderr and a documented exit status, so the functions here never return. */
#ifndef HEAPPROF_TOOLS_DIAG_H
#define HEAPPROF_TOOLS_DIAG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	EXIT_BAD_INPUT = 1, /* the profile, a source file or the system failed us */
	EXIT_USAGE = 2,     /* the command line itself is wrong */
};

/* noreturn as an attribute, which C++ (go_regexp.cpp) reads too. */
void diag_die(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));
void diag_die_usage(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));

void *diag_malloc(size_t size);
void *diag_calloc(size_t count, size_t size);
void *diag_realloc(void *pointer, size_t size);
/* Grows an array of count elements of size bytes to hold at least wanted. */
void *diag_grow(void *array, size_t *capacity, size_t wanted, size_t size);
char *diag_strdup(const char *text);
char *diag_asprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif
