/* pprof's symbolizer prints "Main binary filename not available." when the
   profile's first mapping, which pprof takes for the main binary, has no file
   name and no symbols yet, and a sample kept by profile.Merge has a location
   in it. A profile without mappings gets one such mapping for every location
   (locateBinaries), so there it takes only a sample with a location. */
#ifndef HEAPPROF_TOOLS_MAIN_BINARY_H
#define HEAPPROF_TOOLS_MAIN_BINARY_H

#include <stdbool.h>

#include "reader/profile_reader.h"

/* Whether pprof says so of current, or with -base of merged, the merge of
   current and base whose locations are current's followed by base's (base
   NULL: merged is current). */
bool main_binary_unnamed(const struct profile *merged, const struct profile *current,
			 const struct profile *base);

#endif
