/* Stack capture for sampled allocations, through libunwind loaded privately. */
#ifndef HEAPPROF_UNWIND_H
#define HEAPPROF_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#include "libunwind_pipe.h"
#include "lock_holders.h"
#include "options.h"
#include "thread_state.h"

/* heapprof's frames above the allocation function's caller, which the capture asks
   libunwind for beyond the depth wanted: the slow path's, and at most two more when
   realloc moves a bootstrap block. */
#define UNWIND_MAX_OWN_FRAMES 8
/* What a capture may write: the frames wanted and heapprof's own above them. */
#define UNWIND_BUFFER_FRAMES (OPTIONS_MAX_DEPTH + UNWIND_MAX_OWN_FRAMES)

/* Finds this library's own code, which captures leave out. At start-up. */
void unwind_start(void);

/* Loads libunwind with RTLD_LOCAL: linked as an ordinary dependency, its _Unwind_*
   and backtrace would enter the program's global scope and take over C++ exception
   handling. Only when a rate other than 0 is set (at start-up, or by the first
   heapprof_set_rate that turns recording on): a process that never records never
   maps libunwind and liblzma. It calls dlopen and pthread_once, so it runs outside
   malloc and never in a signal handler (docs/design.md, "Loading libunwind"); a
   second call returns at once. Without libunwind, samples have no stacks. */
void unwind_load(void);

/* libunwind's unw_backtrace; NULL until it is loaded, or when it could not be. */
extern int (*unwind_backtrace)(void **frames, int size) __attribute__((visibility("hidden")));

/* The two halves of unwind_capture that need not run in the caller's frame. The
   second keeps the program's part of the `count` frames libunwind wrote to `pcs`,
   moved to its start. */
unsigned unwind_with_frame_pointers(uintptr_t *pcs, unsigned max, uintptr_t caller);

/* Whether libunwind may walk this thread: its stack has room below here for the walk
   (and, on the thread's first, for the allocation libunwind's thread-local data
   takes), true when the stack is not known (a fiber's, an alternate signal stack); and
   glibc's internal signals are not blocked on it (thread_state.h). Otherwise a sample
   keeps only its caller. */
bool unwind_stack_allows_libunwind(void);
unsigned unwind_keep_program_frames(uintptr_t *pcs, int count, unsigned max);

/* Fills `pcs` with up to `max` return addresses, innermost first, each minus one so
   it falls inside the call instruction: `caller` (the allocation function's return
   address) and its callers. heapprof's own frames are not included. `pcs` has room
   for max + UNWIND_MAX_OWN_FRAMES: libunwind's frames land there first and are
   kept in place. It is never on the stack: the thread may have only 16 KiB of it
   (thread_registry_add gives each thread one). Uses the unwinder options.unwinder
   names; the frame-pointer walk falls back to libunwind when it finds no chain
   beyond `caller`. Returns the count.
   Inlined, so that libunwind starts at the allocation entry's slow path: each frame
   of heapprof's own between it and the program would cost libunwind a step, and on
   shallow stacks those steps were a large share of the capture (docs/performance.md,
   "The floor: a stack capture per sample"). */
/* libunwind's unw_backtrace, marked as heapprof's own walk: a SIGPIPE its pipe raises
   meanwhile is heapprof's doing and dropped (libunwind_pipe.c). */
static inline __attribute__((always_inline)) int unwind_walk(int (*backtrace)(void **, int), void **frames,
							     int size)
{
	struct thread_state *state = &thread_state;
	state->capturing = true;
	int count = backtrace(frames, size);
	state->capturing = false;
	state->libunwind_walked = true;
	if (state->sigpipe_held)
		libunwind_pipe_release_sigpipe();
	return count;
}

static inline __attribute__((always_inline)) unsigned unwind_capture(uintptr_t *pcs, unsigned max,
								     uintptr_t caller)
{
	if (max > OPTIONS_MAX_DEPTH)
		max = OPTIONS_MAX_DEPTH;
	if (options.unwinder == UNWINDER_FRAME_POINTERS) {
		unsigned count = unwind_with_frame_pointers(pcs, max, caller);
		if (count > 1 || count == max)
			return count;
	}
	int (*backtrace)(void **, int) = __atomic_load_n(&unwind_backtrace, __ATOMIC_ACQUIRE);
	if (!backtrace)
		return 0;
	/* The loader's own allocations (a thread's first use of a library's thread-local
	   data) come with that thread's table of blocks half updated, which libunwind's
	   first use of its own thread-local data on the thread would update again under
	   it (docs/design.md, "Loading libunwind"). Those, and samples on a stack without
	   room for the walk, keep their caller. */
	if (lock_holder_of(caller) == LOCK_HOLDER_LOADER || !unwind_stack_allows_libunwind()) {
		pcs[0] = caller - 1;
		return caller ? 1 : 0;
	}
	int count = unwind_walk(backtrace, (void **)pcs, (int)(max + UNWIND_MAX_OWN_FRAMES));
	return unwind_keep_program_frames(pcs, count, max);
}

#endif
