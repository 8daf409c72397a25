/* pprof's symbolizer runs over every profile it opens, even one that needs no
   symbols, and rewrites function names on the way: a function without a name
   takes its system name, and a name that looks like demangled C++ loses its
   argument list and template arguments. Views must see the same names. */
#ifndef HEAPPROF_TOOLS_DISPLAY_NAMES_H
#define HEAPPROF_TOOLS_DISPLAY_NAMES_H

#include "reader/profile_reader.h"

void apply_display_names(struct profile *prof);

/* Removes every outermost open...close group from name, in place, leaving the
   name untouched if the groups do not nest properly. */
void remove_matching(char *name, char open, char close);

#endif
