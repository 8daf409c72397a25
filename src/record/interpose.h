/* What the entry points share: those of the malloc family (interpose.c) and those of
   C++'s operators new and delete (operators.c). */
#ifndef HEAPPROF_INTERPOSE_H
#define HEAPPROF_INTERPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "live.h"
#include "options.h"
#include "recorder.h"
#include "service.h"
#include "thread_state.h"
#include "unwind.h"

#define EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define SLOW_PATH __attribute__((noinline, cold))
/* Where the program called us from: the frame-pointer unwinder's first frame, since
   these entry points set up no frame of their own. Evaluated on slow paths only. */
#define CALLER ((uintptr_t)__builtin_return_address(0))

/* Inlined into each slow path, which then is the frame libunwind starts from. Also
   a safe point for what waits for one (service.c): the allocator has returned.
   `rate`: what sampler_take said (0: not sampled). */
static inline __attribute__((always_inline)) void *interpose_recorded(void *pointer, size_t size, size_t rate,
								      uintptr_t caller)
{
	if (unlikely(atomic_load_explicit(&service_safe_point_wanted, memory_order_relaxed)))
		service_safe_point(caller);
	if (!rate || !pointer)
		return pointer;
	struct recording recording;
	uintptr_t *pcs = recorder_begin(&recording);
	unsigned depth = pcs ? unwind_capture(pcs, options.depth, caller) : 0;
	recorder_alloc(&recording, pointer, size, rate, pcs, depth);
	return pointer;
}

/* A free's slow path: a thread's first free (it registers, so its counts are seen),
   sampled blocks, bootstrap blocks, NULL. True when the caller should release the
   block now. */
SLOW_PATH bool interpose_free_slow(void *pointer);

/* Before a free releases `pointer`: counts the free and records it if the block was
   sampled. True when the block goes to the allocator; false for NULL and bootstrap
   blocks. The fast path is a block the filter does not flag. The filter also flags NULL and bootstrap blocks,
   and an unregistered thread's mask points every block at a flagged slot, so none of
   them needs a test of its own. */
static inline bool interpose_may_release(void *pointer)
{
	if (likely(!live_maybe_sampled_masked(pointer, thread_state.filter_mask))) {
		counter_increment(&thread_state.free_objects);
		return true;
	}
	return interpose_free_slow(pointer);
}

#endif
