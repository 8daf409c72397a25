/* The frames of a profile's locations by name, as flame graphs and heapprof
   report's sites name them: a location's inlined functions are frames of
   their own, named as top names its nodes at function granularity. */
#ifndef HEAPPROF_TOOLS_FRAME_NAMES_H
#define HEAPPROF_TOOLS_FRAME_NAMES_H

#include <stdint.h>

#include "reader/intern_table.h"
#include "reader/profile_reader.h"

/* Location i's frames, innermost first, are ids[first[i] .. first[i + 1]):
   ids of their names in the table given to frame_names_build. */
struct frame_names {
	uint32_t *first;
	uint32_t *ids;
};

/* Names every location's frames, adding the names to table. */
void frame_names_build(struct frame_names *names, struct intern_table *table, const struct profile *prof);
void frame_names_free(struct frame_names *names);

#endif
