/* What a loaded object says about itself, read from its program headers and dynamic
   section (a dl_iterate_phdr entry): no lock of the loader's beyond the one
   dl_iterate_phdr takes, no allocation. */
#ifndef HEAPPROF_LOADED_OBJECT_H
#define HEAPPROF_LOADED_OBJECT_H

#include <link.h>
#include <stdbool.h>
#include <stdint.h>

/* Where an entry of a loaded object's dynamic section points, given the object's
   load bias: glibc relocates the entries in place on x86-64, but not where the
   section is read-only (the vDSO's). */
static inline uintptr_t loaded_object_address(uintptr_t bias, uintptr_t value)
{
	return value < bias ? value + bias : value;
}

/* Whether one of the object's loaded segments holds `address`. */
bool loaded_object_holds(const struct dl_phdr_info *info, uintptr_t address);

/* The object's own definition of the function `name`, its default version; NULL if
   it has none, or no GNU hash table to find it by. */
void *loaded_object_function(const struct dl_phdr_info *info, const char *name);

/* Whether the loader keeps the object until the process ends: it is marked
   NODELETE (libc++), or defines symbols of STB_GNU_UNIQUE binding, which glibc
   keeps loaded once one is bound (libstdc++, whose own code binds them). */
bool loaded_object_kept(const struct dl_phdr_info *info);

#endif
