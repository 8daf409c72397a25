/* heapprof top: the flat/cum table of go tool pprof -top, byte for byte. */
#ifndef HEAPPROF_TOOLS_TOP_H
#define HEAPPROF_TOOLS_TOP_H

#include <stdio.h>

#include "report.h"

/* Prints the report to out; returns the exit status. */
int top_print(struct report *rpt, FILE *out);

/* The first max_lines lines of top with default options, for `heapprof run`. */
int top_print_head(const char *path, int max_lines, FILE *out);

#endif
