/* Profile file names from a template: %p (process id), %e (program name),
   %n (dump sequence number) and %% (a percent sign). The library names its
   dumps with it (HEAPPROF_OUT); `heapprof run` finds what those dumps wrote. */
#ifndef HEAPPROF_NAME_TEMPLATE_H
#define HEAPPROF_NAME_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_TEMPLATE_DEFAULT "heapprof.%e.%p.pb.gz"

/* What each escape stands for, inserted as it is. */
struct name_template_values {
	const char *pid;      /* %p */
	const char *program;  /* %e */
	const char *sequence; /* %n */
	/* Characters of the template's own text to write after a backslash (a
	   glob(3) pattern's metacharacters), or NULL. */
	const char *escaped;
};

/* Writes the expansion of `template` into `out` (`size` bytes; NUL-terminated,
   cut short if need be, whenever size > 0) and returns the expansion's full
   length, as snprintf does: it fitted when the result is below `size`. A '%'
   before any other character stands for that character; a final '%' for
   itself. */
size_t name_template_expand(const char *template, const struct name_template_values *values, char *out,
			    size_t size);

/* Whether the library takes `template` as HEAPPROF_OUT: not empty, shorter
   than PATH_MAX, and no escapes but %p, %e, %n and %%. */
bool name_template_is_valid(const char *template);

#endif
