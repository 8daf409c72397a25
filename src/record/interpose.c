/* The malloc family as the program sees it. Each entry point's fast path is a
   countdown update (allocation) or a one-byte filter read (free) before forwarding
   to the next allocator; everything else is in out-of-line slow paths. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "live.h"
#include "next_allocator.h"
#include "recorder.h"
#include "sampler.h"
#include "thread_registry.h"
#include "unwind.h"

#define EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define SLOW_PATH __attribute__((noinline, cold))
/* Where the program called us from: the frame-pointer unwinder's first frame, since
   these entry points set up no frame of their own. Evaluated on slow paths only. */
#define CALLER ((uintptr_t)__builtin_return_address(0))

/* Inlined into each slow path, which then is the frame libunwind starts from.
   `rate`: what sampler_take said. */
static inline __attribute__((always_inline)) void *recorded(void *pointer, size_t size, size_t rate,
							    uintptr_t caller)
{
	if (!rate || !pointer)
		return pointer;
	struct recording recording;
	uintptr_t *pcs = recorder_begin(&recording);
	unsigned depth = pcs ? unwind_capture(pcs, options.depth, caller) : 0;
	recorder_alloc(&recording, pointer, size, rate, pcs, depth);
	return pointer;
}

SLOW_PATH static void *malloc_slow(size_t size, uintptr_t caller)
{
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(16, size);
	size_t rate = sampler_take(size);
	return recorded(next.malloc(size), size, rate, caller);
}

EXPORT void *malloc(size_t size)
{
	if (likely(sampler_skip(size)))
		return next.malloc(size);
	return malloc_slow(size, CALLER);
}

/* The free fast path: a block the filter does not flag. The filter also flags NULL
   and bootstrap blocks, and an unregistered thread's mask points every block at a
   flagged slot, so none of them needs a test of its own. */
static inline bool free_is_plain(const void *pointer)
{
	return likely(!live_maybe_sampled_masked(pointer, thread_state.filter_mask));
}

/* Everything else: a thread's first free (it registers, so its counts are seen),
   sampled blocks, bootstrap blocks, NULL. True when the caller should release the
   block now. */
SLOW_PATH static bool free_slow(void *pointer)
{
	if (bootstrap_owns(pointer) || !pointer)
		return false;
	thread_count_free(pointer);
	return !live_maybe_sampled(pointer) || recorder_free(pointer);
}

EXPORT void free(void *pointer)
{
	if (free_is_plain(pointer)) {
		counter_increment(&thread_state.free_objects);
		next.free(pointer);
	} else if (free_slow(pointer)) {
		next.free(pointer);
	}
}

SLOW_PATH static void *calloc_slow(size_t count, size_t size, size_t bytes, uintptr_t caller)
{
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(16, bytes);
	size_t rate = sampler_take(bytes);
	return recorded(next.calloc(count, size), bytes, rate, caller);
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
	struct site *site = pointer && live_maybe_sampled(pointer) ? recorder_detach(pointer) : NULL;
	void *result = next.realloc(pointer, size);
	if (!result && size != 0 && pointer) {
		recorder_reattach(pointer, site);
		return NULL;
	}
	recorder_detached_freed(site);
	return recorded(result, size, rate, caller);
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

/* The aligned allocators share one shape: charge the countdown, forward, record. */
SLOW_PATH static void *aligned_slow(void *(*allocate)(size_t, size_t), size_t alignment, size_t size,
				    uintptr_t caller)
{
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(alignment, size);
	size_t rate = sampler_take(size);
	return recorded(allocate(alignment, size), size, rate, caller);
}

static void *call_aligned_alloc(size_t alignment, size_t size)
{
	return next.aligned_alloc(alignment, size);
}

static void *call_memalign(size_t alignment, size_t size)
{
	return next.memalign(alignment, size);
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
		recorded(*result, size, rate, caller);
	return error;
}

EXPORT int posix_memalign(void **result, size_t alignment, size_t size)
{
	if (likely(sampler_skip(size)))
		return next.posix_memalign(result, alignment, size);
	return posix_memalign_slow(result, alignment, size, CALLER);
}

SLOW_PATH static void *page_aligned_slow(void *(*allocate)(size_t), size_t size, uintptr_t caller)
{
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(4096, size);
	size_t rate = sampler_take(size);
	return recorded(allocate(size), size, rate, caller);
}

EXPORT void *valloc(size_t size)
{
	if (likely(sampler_skip(size)))
		return next.valloc(size);
	return page_aligned_slow(next.valloc, size, CALLER);
}

EXPORT void *pvalloc(size_t size)
{
	if (likely(sampler_skip(size)))
		return next.pvalloc(size);
	return page_aligned_slow(next.pvalloc, size, CALLER);
}

EXPORT size_t malloc_usable_size(void *pointer)
{
	if (unlikely(bootstrap_owns(pointer)))
		return bootstrap_usable_size(pointer);
	return next.malloc_usable_size(pointer);
}

EXPORT void free_sized(void *pointer, size_t size)
{
	if (free_is_plain(pointer)) {
		counter_increment(&thread_state.free_objects);
		next.free_sized(pointer, size);
	} else if (free_slow(pointer)) {
		next.free_sized(pointer, size);
	}
}

EXPORT void free_aligned_sized(void *pointer, size_t alignment, size_t size)
{
	if (free_is_plain(pointer)) {
		counter_increment(&thread_state.free_objects);
		next.free_aligned_sized(pointer, alignment, size);
	} else if (free_slow(pointer)) {
		next.free_aligned_sized(pointer, alignment, size);
	}
}
