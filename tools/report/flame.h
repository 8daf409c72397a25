/* heapprof flame: a flame graph of one sample value as an SVG, with
   click-to-zoom and search; also drawn into heapprof report's page. */
#ifndef HEAPPROF_TOOLS_FLAME_H
#define HEAPPROF_TOOLS_FLAME_H

#include <stdio.h>

#include "report.h"

/* Writes the SVG of the report's profile to out, a standalone document with
   its script. Returns 0, or -1 with the reason in error (a graph too large
   to draw) before writing anything. */
int flame_write_svg(const struct report *rpt, FILE *out, char *error, size_t error_size);
/* The same as an <svg> element for an HTML page, which must hold
   flame_script once, in a <script> element of its own. */
int flame_write_inline_svg(const struct report *rpt, FILE *out, char *error, size_t error_size);
/* Zoom and search for every flame graph of the document that runs it. */
extern const char flame_script[];

#endif
