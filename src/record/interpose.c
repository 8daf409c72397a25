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
#include "service.h"
#include "thread_registry.h"
#include "unwind.h"

#define EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define SLOW_PATH __attribute__((noinline, cold))
/* Where the program called us from: the frame-pointer unwinder's first frame, since
   these entry points set up no frame of their own. Evaluated on slow paths only. */
#define CALLER ((uintptr_t)__builtin_return_address(0))

/* Inlined into each slow path, which then is the frame libunwind starts from. Also
   a safe point for what waits for one (service.c): the allocator has returned. */
static inline __attribute__((always_inline)) void *recorded(void *pointer, size_t size, bool sampled,
							    uintptr_t caller)
{
	if (unlikely(atomic_load_explicit(&service_safe_point_wanted, memory_order_relaxed)))
		service_safe_point(caller);
	if (!sampled || !pointer)
		return pointer;
	struct recording recording;
	uintptr_t pcs[OPTIONS_MAX_DEPTH];
	unsigned depth = recorder_begin(&recording) ? unwind_capture(pcs, options.depth, caller) : 0;
	recorder_alloc(&recording, pointer, size, pcs, depth);
	return pointer;
}

SLOW_PATH static void *malloc_slow(size_t size, uintptr_t caller)
{
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(16, size);
	bool sampled = sampler_take(size);
	return recorded(next.malloc(size), size, sampled, caller);
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

/* The body of free, free_sized and free_aligned_sized, which differ only in what they
   forward to: true when the caller should release the block now. */
static inline __attribute__((always_inline)) bool release_now(void *pointer)
{
	if (free_is_plain(pointer)) {
		counter_increment(&thread_state.free_objects);
		return true;
	}
	return free_slow(pointer);
}

EXPORT void free(void *pointer)
{
	if (release_now(pointer))
		next.free(pointer);
}

SLOW_PATH static void *calloc_slow(size_t count, size_t size, size_t bytes, uintptr_t caller)
{
	if (next_allocator_bootstrapping())
		return bootstrap_alloc(16, bytes);
	bool sampled = sampler_take(bytes);
	return recorded(next.calloc(count, size), bytes, sampled, caller);
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
	bool sampled = counted ? sampler_take(size) : sampler_decide(size);
	/* Detach first: once the allocator has the block back, another thread may get
	   the same address and sample it. */
	struct site *site = pointer && live_maybe_sampled(pointer) ? recorder_detach(pointer) : NULL;
	void *result = next.realloc(pointer, size);
	if (!result && size != 0 && pointer) {
		recorder_reattach(pointer, site);
		return NULL;
	}
	recorder_detached_freed(site);
	return recorded(result, size, sampled, caller);
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
	bool sampled = sampler_take(size);
	return recorded(allocate(alignment, size), size, sampled, caller);
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
	bool sampled = sampler_take(size);
	int error = next.posix_memalign(result, alignment, size);
	if (!error)
		recorded(*result, size, sampled, caller);
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
	if (release_now(pointer))
		next.free_sized(pointer, size);
}

EXPORT void free_aligned_sized(void *pointer, size_t alignment, size_t size)
{
	if (release_now(pointer))
		next.free_aligned_sized(pointer, alignment, size);
}
