/* C++'s operators new and delete as the program sees them, by their mangled names
   (the code stays C). The C++ runtime's own (libstdc++'s) allocate with malloc and
   release with free, which record: over them these only jump to the next definition.
   An allocator that defines the operators itself (jemalloc, tcmalloc) allocates
   without malloc, so over it these count and sample, as malloc and free do, around
   the call to it. Running out of memory is the next definition's alone: it calls the
   new_handler and throws std::bad_alloc, which passes through these frames (they
   hold nothing to undo). */
#include "interpose.h"
#include "next_allocator.h"
#include "sampler.h"

SLOW_PATH static void *new_recorded(void *pointer, size_t size, uintptr_t caller)
{
	size_t rate = sampler_take(size);
	return interpose_recorded(pointer, size, rate, caller);
}

/* After the allocator's operator new returned `pointer`: counts and samples it, as
   malloc does, unless the operator allocated through heapprof's malloc family, which
   did (jemalloc's aligned operators call aligned_alloc, and its operators call
   malloc again after the new_handler). `allocations` is the thread's count before
   the call; a signal handler's allocation in between passes for the operator's own,
   and the totals stay exact. */
static inline __attribute__((always_inline)) void *allocated(void *pointer, size_t size, uint64_t allocations,
							     uintptr_t caller)
{
	if (counter_get(&thread_state.alloc_objects) != allocations || likely(sampler_skip(size)))
		return pointer;
	return new_recorded(pointer, size, caller);
}

/* After the allocator's operator delete: it may have released the block through
   heapprof's free (jemalloc's unsized operators do), which counted it a second time.
   `frees` is the thread's count before the call, this free counted; a signal
   handler's free in between would go uncounted. */
static inline void released(uint64_t frees)
{
	if (counter_get(&thread_state.free_objects) != frees)
		counter_set(&thread_state.free_objects, frees);
}

#define UNPARENTHESIZED(...) __VA_ARGS__

/* An operator new taking `size` first; its parameters follow. The entry point is a
   jump to the next definition when that only needs forwarding; everything else is in
   its slow half. */
#define OPERATOR_NEW(name, which, arguments, ...)                                                  \
	__attribute__((noinline)) static void *name##_slow(uintptr_t caller, __VA_ARGS__)          \
	{                                                                                          \
		struct next_operator next = next_operator(which, caller);                          \
		void *(*forward)(__VA_ARGS__) = (void *(*)(__VA_ARGS__))next.function;             \
		if (!next.records)                                                                 \
			return forward arguments;                                                  \
		uint64_t allocations = counter_get(&thread_state.alloc_objects);                   \
		return allocated(forward arguments, size, allocations, caller);                    \
	}                                                                                          \
	EXPORT void *name(__VA_ARGS__)                                                             \
	{                                                                                          \
		void *(*forward)(__VA_ARGS__) = (void *(*)(__VA_ARGS__))next_operator_jump(which); \
		if (likely(forward))                                                               \
			return forward arguments;                                                  \
		return name##_slow(CALLER, UNPARENTHESIZED arguments);                             \
	}

/* An operator delete taking `pointer` first; its parameters follow. */
#define OPERATOR_DELETE(name, which, arguments, ...)                                             \
	__attribute__((noinline)) static void name##_slow(uintptr_t caller, __VA_ARGS__)         \
	{                                                                                        \
		struct next_operator next = next_operator(which, caller);                        \
		void (*forward)(__VA_ARGS__) = (void (*)(__VA_ARGS__))next.function;             \
		if (!next.records) {                                                             \
			forward arguments;                                                       \
			return;                                                                  \
		}                                                                                \
		if (!interpose_may_release(pointer))                                             \
			return;                                                                  \
		uint64_t frees = counter_get(&thread_state.free_objects);                        \
		forward arguments;                                                               \
		released(frees);                                                                 \
	}                                                                                        \
	EXPORT void name(__VA_ARGS__)                                                            \
	{                                                                                        \
		void (*forward)(__VA_ARGS__) = (void (*)(__VA_ARGS__))next_operator_jump(which); \
		if (likely(forward))                                                             \
			forward arguments;                                                       \
		else                                                                             \
			name##_slow(CALLER, UNPARENTHESIZED arguments);                          \
	}

OPERATOR_NEW(_Znwm, NEXT_NEW, (size), size_t size)
OPERATOR_NEW(_Znam, NEXT_NEW_ARRAY, (size), size_t size)
OPERATOR_NEW(_ZnwmRKSt9nothrow_t, NEXT_NEW_NOTHROW, (size, nothrow), size_t size, const void *nothrow)
OPERATOR_NEW(_ZnamRKSt9nothrow_t, NEXT_NEW_ARRAY_NOTHROW, (size, nothrow), size_t size, const void *nothrow)
OPERATOR_NEW(_ZnwmSt11align_val_t, NEXT_NEW_ALIGNED, (size, alignment), size_t size, size_t alignment)
OPERATOR_NEW(_ZnamSt11align_val_t, NEXT_NEW_ARRAY_ALIGNED, (size, alignment), size_t size, size_t alignment)
OPERATOR_NEW(_ZnwmSt11align_val_tRKSt9nothrow_t, NEXT_NEW_ALIGNED_NOTHROW, (size, alignment, nothrow),
	     size_t size, size_t alignment, const void *nothrow)
OPERATOR_NEW(_ZnamSt11align_val_tRKSt9nothrow_t, NEXT_NEW_ARRAY_ALIGNED_NOTHROW, (size, alignment, nothrow),
	     size_t size, size_t alignment, const void *nothrow)

OPERATOR_DELETE(_ZdlPv, NEXT_DELETE, (pointer), void *pointer)
OPERATOR_DELETE(_ZdaPv, NEXT_DELETE_ARRAY, (pointer), void *pointer)
OPERATOR_DELETE(_ZdlPvm, NEXT_DELETE_SIZED, (pointer, size), void *pointer, size_t size)
OPERATOR_DELETE(_ZdaPvm, NEXT_DELETE_ARRAY_SIZED, (pointer, size), void *pointer, size_t size)
OPERATOR_DELETE(_ZdlPvRKSt9nothrow_t, NEXT_DELETE_NOTHROW, (pointer, nothrow), void *pointer,
		const void *nothrow)
OPERATOR_DELETE(_ZdaPvRKSt9nothrow_t, NEXT_DELETE_ARRAY_NOTHROW, (pointer, nothrow), void *pointer,
		const void *nothrow)
OPERATOR_DELETE(_ZdlPvSt11align_val_t, NEXT_DELETE_ALIGNED, (pointer, alignment), void *pointer,
		size_t alignment)
OPERATOR_DELETE(_ZdaPvSt11align_val_t, NEXT_DELETE_ARRAY_ALIGNED, (pointer, alignment), void *pointer,
		size_t alignment)
OPERATOR_DELETE(_ZdlPvmSt11align_val_t, NEXT_DELETE_SIZED_ALIGNED, (pointer, size, alignment), void *pointer,
		size_t size, size_t alignment)
OPERATOR_DELETE(_ZdaPvmSt11align_val_t, NEXT_DELETE_ARRAY_SIZED_ALIGNED, (pointer, size, alignment),
		void *pointer, size_t size, size_t alignment)
OPERATOR_DELETE(_ZdlPvSt11align_val_tRKSt9nothrow_t, NEXT_DELETE_ALIGNED_NOTHROW,
		(pointer, alignment, nothrow), void *pointer, size_t alignment, const void *nothrow)
OPERATOR_DELETE(_ZdaPvSt11align_val_tRKSt9nothrow_t, NEXT_DELETE_ARRAY_ALIGNED_NOTHROW,
		(pointer, alignment, nothrow), void *pointer, size_t alignment, const void *nothrow)
