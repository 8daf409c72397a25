/* The malloc family as the program sees it. Each entry point's fast path is a
   countdown update (allocation) or a one-byte filter read (free) before forwarding
   to the next allocator; everything else is in out-of-line slow paths. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "interpose.h"
#include "live.h"
#include "next_allocator.h"
#include "recorder.h"
#include "sampler.h"
#include "service.h"
#include "thread_registry.h"

SLOW_PATH static void *malloc_slow(size_t size, uintptr_t caller)
{
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(16, size);
	size_t rate = sampler_take(size);
	return interpose_recorded(next.malloc(size), size, rate, caller);
}

EXPORT void *malloc(size_t size)
{
	if (likely(sampler_skip(size)))
		return next.malloc(size);
	return malloc_slow(size, CALLER);
}

SLOW_PATH bool interpose_free_slow(void *pointer)
{
	if (bootstrap_owns(pointer) || !pointer)
		return false;
	thread_count_free(pointer);
	if (live_maybe_sampled(pointer))
		recorder_free(pointer);
	return true;
}

EXPORT void free(void *pointer)
{
	if (interpose_may_release(pointer))
		next.free(pointer);
}

SLOW_PATH static void *calloc_slow(size_t count, size_t size, size_t bytes, uintptr_t caller)
{
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(16, bytes);
	size_t rate = sampler_take(bytes);
	return interpose_recorded(next.calloc(count, size), bytes, rate, caller);
}

EXPORT void *calloc(size_t count, size_t size)
{
	size_t bytes;
	/* On overflow the allocator itself reports ENOMEM. */
	if (unlikely(__builtin_mul_overflow(count, size, &bytes)) || likely(sampler_skip(bytes)))
		return next.calloc(count, size);
	return calloc_slow(count, size, bytes, CALLER);
}

/* Bootstrap blocks cannot be resized in place: move them to the real allocator. */
static void *realloc_bootstrap(void *pointer, size_t size)
{
	void *moved = malloc(size);
	if (moved) {
		size_t old_size = bootstrap_usable_size(pointer);
		memcpy(moved, pointer, old_size < size ? old_size : size);
	}
	return moved;
}

/* realloc is a free of the old block and an allocation of the new one. `counted` says
   whether the countdown was already charged for `size`. */
SLOW_PATH static void *realloc_slow(void *pointer, size_t size, bool counted, uintptr_t caller)
{
	if (bootstrap_owns(pointer))
		return realloc_bootstrap(pointer, size);
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(16, size);
	thread_count_free(pointer);
	size_t rate = counted ? sampler_take(size) : sampler_decide(size);
	/* Detach first: once the allocator has the block back, another thread may get
	   the same address and sample it. */
	struct live_block detached = pointer && live_maybe_sampled(pointer) ? recorder_detach(pointer)
									    : (struct live_block){NULL, 0};
	void *result = next.realloc(pointer, size);
	if (!result && size != 0 && pointer) {
		recorder_reattach(pointer, detached);
		return NULL;
	}
	recorder_detached_freed(detached);
	return interpose_recorded(result, size, rate, caller);
}

static inline void *reallocate(void *pointer, size_t size, uintptr_t caller)
{
	if (likely(!live_maybe_sampled(pointer))) {
		if (likely(sampler_skip(size))) {
			thread_count_free(pointer);
			return next.realloc(pointer, size);
		}
		return realloc_slow(pointer, size, true, caller);
	}
	return realloc_slow(pointer, size, false, caller);
}

EXPORT void *realloc(void *pointer, size_t size)
{
	return reallocate(pointer, size, CALLER);
}

EXPORT void *reallocarray(void *pointer, size_t count, size_t size)
{
	size_t bytes;
	if (unlikely(__builtin_mul_overflow(count, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	return reallocate(pointer, bytes, CALLER);
}

/* The aligned allocators share one shape: charge the countdown, forward, record. Each
   forwards through a call_* function, which reads `next` at the call, as the other slow
   paths do: the lookup may have replaced a stub since the entry point read it.
   posix_memalign, which returns an error code rather than the block, has its own. */
SLOW_PATH static void *aligned_slow(void *(*allocate)(size_t, size_t), size_t alignment, size_t size,
				    uintptr_t caller)
{
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(alignment, size);
	size_t rate = sampler_take(size);
	return interpose_recorded(allocate(alignment, size), size, rate, caller);
}

static void *call_aligned_alloc(size_t alignment, size_t size)
{
	return next.aligned_alloc(alignment, size);
}

static void *call_memalign(size_t alignment, size_t size)
{
	return next.memalign(alignment, size);
}

/* valloc and pvalloc align to the page themselves: the alignment they pass on serves
   only a block from the bootstrap area. */
#define PAGE_ALIGNMENT 4096

static void *call_valloc(size_t alignment, size_t size)
{
	(void)alignment;
	return next.valloc(size);
}

static void *call_pvalloc(size_t alignment, size_t size)
{
	(void)alignment;
	return next.pvalloc(size);
}

EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
	if (likely(sampler_skip(size)))
		return next.aligned_alloc(alignment, size);
	return aligned_slow(call_aligned_alloc, alignment, size, CALLER);
}

EXPORT void *memalign(size_t alignment, size_t size)
{
	if (likely(sampler_skip(size)))
		return next.memalign(alignment, size);
	return aligned_slow(call_memalign, alignment, size, CALLER);
}

SLOW_PATH static int posix_memalign_slow(void **result, size_t alignment, size_t size, uintptr_t caller)
{
	if (next_allocator_bootstrapping()) {
		void *pointer = bootstrap_alloc(alignment, size);
		if (!pointer)
			return ENOMEM;
		*result = pointer;
		return 0;
	}
	size_t rate = sampler_take(size);
	int error = next.posix_memalign(result, alignment, size);
	if (!error)
		interpose_recorded(*result, size, rate, caller);
	return error;
}

EXPORT int posix_memalign(void **result, size_t alignment, size_t size)
{
	if (likely(sampler_skip(size)))
		return next.posix_memalign(result, alignment, size);
	return posix_memalign_slow(result, alignment, size, CALLER);
}

EXPORT void *valloc(size_t size)
{
	if (likely(sampler_skip(size)))
		return next.valloc(size);
	return aligned_slow(call_valloc, PAGE_ALIGNMENT, size, CALLER);
}

EXPORT void *pvalloc(size_t size)
{
	if (likely(sampler_skip(size)))
		return next.pvalloc(size);
	return aligned_slow(call_pvalloc, PAGE_ALIGNMENT, size, CALLER);
}

EXPORT size_t malloc_usable_size(void *pointer)
{
	if (unlikely(bootstrap_owns(pointer)))
		return bootstrap_usable_size(pointer);
	return next.malloc_usable_size(pointer);
}

EXPORT void free_sized(void *pointer, size_t size)
{
	if (interpose_may_release(pointer))
		next.free_sized(pointer, size);
}

EXPORT void free_aligned_sized(void *pointer, size_t alignment, size_t size)
{
	if (interpose_may_release(pointer))
		next.free_aligned_sized(pointer, alignment, size);
}
