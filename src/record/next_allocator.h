/* The allocator heapprof forwards to: whatever comes after it in symbol lookup order
   (glibc, or jemalloc/tcmalloc preloaded behind it). */
#ifndef HEAPPROF_NEXT_ALLOCATOR_H
#define HEAPPROF_NEXT_ALLOCATOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* C++'s operators new and delete (operators.c). In the comments, size is size_t,
   align std::align_val_t and nothrow const std::nothrow_t &. */
enum next_operator_id {
	NEXT_NEW,                          /* new(size) */
	NEXT_NEW_ARRAY,                    /* new[](size) */
	NEXT_NEW_NOTHROW,                  /* new(size, nothrow) */
	NEXT_NEW_ARRAY_NOTHROW,            /* new[](size, nothrow) */
	NEXT_NEW_ALIGNED,                  /* new(size, align) */
	NEXT_NEW_ARRAY_ALIGNED,            /* new[](size, align) */
	NEXT_NEW_ALIGNED_NOTHROW,          /* new(size, align, nothrow) */
	NEXT_NEW_ARRAY_ALIGNED_NOTHROW,    /* new[](size, align, nothrow) */
	NEXT_DELETE,                       /* delete(void *) */
	NEXT_DELETE_ARRAY,                 /* delete[](void *) */
	NEXT_DELETE_SIZED,                 /* delete(void *, size) */
	NEXT_DELETE_ARRAY_SIZED,           /* delete[](void *, size) */
	NEXT_DELETE_NOTHROW,               /* delete(void *, nothrow) */
	NEXT_DELETE_ARRAY_NOTHROW,         /* delete[](void *, nothrow) */
	NEXT_DELETE_ALIGNED,               /* delete(void *, align) */
	NEXT_DELETE_ARRAY_ALIGNED,         /* delete[](void *, align) */
	NEXT_DELETE_SIZED_ALIGNED,         /* delete(void *, size, align) */
	NEXT_DELETE_ARRAY_SIZED_ALIGNED,   /* delete[](void *, size, align) */
	NEXT_DELETE_ALIGNED_NOTHROW,       /* delete(void *, align, nothrow) */
	NEXT_DELETE_ARRAY_ALIGNED_NOTHROW, /* delete[](void *, align, nothrow) */
	NEXT_OPERATOR_COUNT
};

/* Any function; operators.c casts each to its type. */
typedef void (*next_function)(void);

/* What an operator forwards to, and whether heapprof records at the operator itself:
   when it belongs to the next allocator (jemalloc, tcmalloc), which allocates without
   calling malloc. The C++ runtime's own (libstdc++) allocate with malloc and release
   with free, which record. */
struct next_operator {
	next_function function;
	bool records;
};

/* What each operator forwards to: NULL until known, then an entry that never changes,
   published by one store. */
extern _Atomic(const struct next_operator *) next_operators[NEXT_OPERATOR_COUNT]
	__attribute__((visibility("hidden")));

/* next_operator for an operator not known yet: the lookup in next_allocator_resolve
   found none, and the definition a call from `caller` would reach is looked for. */
struct next_operator next_operator_find(enum next_operator_id which, uintptr_t caller);

/* The function the operator `which` only jumps to: known, and not recorded at; else
   NULL, and the caller wants next_operator. */
static inline next_function next_operator_jump(enum next_operator_id which)
{
	const struct next_operator *known =
		atomic_load_explicit(&next_operators[which], memory_order_acquire);
	if (!known || known->records)
		return NULL;
	/* Never NULL once published: the caller's test of the result is then the one
	   above. */
	if (!known->function)
		__builtin_unreachable();
	return known->function;
}

/* The operator `which` forwards to from `caller`; its function is never NULL. */
static inline struct next_operator next_operator(enum next_operator_id which, uintptr_t caller)
{
	const struct next_operator *known =
		atomic_load_explicit(&next_operators[which], memory_order_acquire);
	if (__builtin_expect(!known, 0))
		return next_operator_find(which, caller);
	return *known;
}

/* Looks the functions up once; concurrent callers wait for the first. */
void next_allocator_resolve(void);

/* True on the thread that is inside the lookup: its allocations must come from the
   bootstrap area, because the real allocator is not known yet. */
bool next_allocator_bootstrapping(void);

#endif
