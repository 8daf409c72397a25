/* Text from a profile into HTML and SVG: names are hostile bytes, and one
   that is not valid markup text would break the whole page. */
#ifndef HEAPPROF_TOOLS_MARKUP_H
#define HEAPPROF_TOOLS_MARKUP_H

#include <stddef.h>
#include <stdio.h>

/* Writes at most length bytes of text (up to a NUL) as XML/HTML text or a
   quoted attribute value: markup characters as entities, control characters
   and bytes that are not UTF-8 as '?'. */
void markup_write_text(FILE *out, const char *text, size_t length);
/* The same for a report of many lines, for a <pre>: newlines are kept. */
void markup_write_lines(FILE *out, const char *text);

#endif
