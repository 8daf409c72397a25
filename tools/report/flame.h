/* heapprof flame: a flame graph of one sample value as a standalone SVG. */
#ifndef HEAPPROF_TOOLS_FLAME_H
#define HEAPPROF_TOOLS_FLAME_H

#include <stdio.h>

#include "report.h"

/* Writes the SVG of the report's profile to out. Returns 0, or -1 with the
   reason in error (a graph too large to draw) before writing anything. */
int flame_write_svg(const struct report *rpt, FILE *out, char *error, size_t error_size);

#endif
