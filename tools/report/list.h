/* heapprof list: go tool pprof -list REGEX, byte for byte: per matching
   function and source file, the flat and cumulative value of each line. */
#ifndef HEAPPROF_TOOLS_LIST_H
#define HEAPPROF_TOOLS_LIST_H

#include <stdio.h>

#include "report.h"

/* Prints the listing to out; returns the exit status (1 when nothing matches). */
int list_print(struct report *rpt, const char *regex, FILE *out);

#endif
