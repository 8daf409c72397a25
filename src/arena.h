/* Memory for the profiler's own tables, taken from mmap so that it never recurses
   into malloc and stays valid after the host's destructors have run. */
#ifndef HEAPPROF_ARENA_H
#define HEAPPROF_ARENA_H

#include <stddef.h>

/* Zeroed pages, or NULL. */
void *arena_map(size_t bytes);
void arena_unmap(void *memory, size_t bytes);

/* A bump allocator; the caller serialises access. Memory is never returned. */
struct arena {
	char *cursor;
	char *end;
};

/* Zeroed, 16-byte aligned; NULL when the system is out of memory. */
void *arena_alloc(struct arena *arena, size_t bytes);

#endif
