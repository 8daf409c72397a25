/* The functions of one compilation unit by address, read once per unit: finding the
   function at a pc with dwarf_getscopes walks every entry of the unit each time,
   milliseconds per address in a large unit. */
#ifndef HEAPPROF_FUNCTION_INDEX_H
#define HEAPPROF_FUNCTION_INDEX_H

#include <stdbool.h>

#include "libdw_api.h"

struct function_index;

/* NULL when out of memory. */
struct function_index *function_index_build(const struct libdw_api *dw, Dwarf_Die *unit);

/* The subprogram entry whose code contains `address` (in the unit's own addresses,
   without the load bias). False if the unit describes none. */
bool function_index_find(const struct function_index *index, Dwarf_Addr address, Dwarf_Die *function);

void function_index_free(struct function_index *index);

#endif
