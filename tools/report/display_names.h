/* pprof's symbolizer runs over every profile it opens, even one that needs no
   symbols, and rewrites function names on the way: a function without a name
   takes its system name, and a name that looks like demangled C++ loses its
   argument list and template arguments. Views must see the same names. */
#ifndef HEAPPROF_TOOLS_DISPLAY_NAMES_H
#define HEAPPROF_TOOLS_DISPLAY_NAMES_H

#include "reader/profile_reader.h"

void display_names_apply(struct profile *prof);

#endif
