/* The allocator heapprof forwards to: whatever comes after it in symbol lookup order
   (glibc, or jemalloc/tcmalloc preloaded behind it). */
#ifndef HEAPPROF_NEXT_ALLOCATOR_H
#define HEAPPROF_NEXT_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>

struct next_allocator {
	void *(*malloc)(size_t size);
	void (*free)(void *pointer);
	void *(*calloc)(size_t count, size_t size);
	void *(*realloc)(void *pointer, size_t size);
	void *(*reallocarray)(void *pointer, size_t count, size_t size);
	int (*posix_memalign)(void **result, size_t alignment, size_t size);
	void *(*aligned_alloc)(size_t alignment, size_t size);
	void *(*memalign)(size_t alignment, size_t size);
	void *(*valloc)(size_t size);
	void *(*pvalloc)(size_t size);
	size_t (*malloc_usable_size)(void *pointer);
	void (*free_sized)(void *pointer, size_t size);
	void (*free_aligned_sized)(void *pointer, size_t alignment, size_t size);
};

/* Until resolved, every member points at a stub that resolves first, so callers
   never test for NULL. */
extern struct next_allocator next __attribute__((visibility("hidden")));

/* Looks the functions up once; concurrent callers wait for the first. */
void next_allocator_resolve(void);

/* True on the thread that is inside the lookup: its allocations must come from the
   bootstrap area, because the real allocator is not known yet. */
bool next_allocator_bootstrapping(void);

#endif
