/* Serves allocations made while the next allocator is being looked up (dlsym calls
   calloc). Those blocks live in a static area, are never reused, and must be
   recognised by free, realloc and malloc_usable_size for the rest of the process. */
#ifndef HEAPPROF_BOOTSTRAP_H
#define HEAPPROF_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOTSTRAP_AREA_SIZE ((size_t)256 * 1024)

extern char bootstrap_area[BOOTSTRAP_AREA_SIZE] __attribute__((visibility("hidden")));

static inline bool bootstrap_owns(const void *pointer)
{
	return (uintptr_t)pointer - (uintptr_t)bootstrap_area < BOOTSTRAP_AREA_SIZE;
}

/* Zeroed memory; NULL (errno ENOMEM) when the area is exhausted. Each block is
   flagged in the live filter, so free and realloc find it on their slow paths. */
void *bootstrap_alloc(size_t alignment, size_t size);
size_t bootstrap_usable_size(const void *pointer);

#endif
