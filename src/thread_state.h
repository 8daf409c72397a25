/* Per-thread profiler state. Initial-exec TLS: a dynamic model would call
   __tls_get_addr, which may allocate, from inside malloc. */
#ifndef HEAPPROF_THREAD_STATE_H
#define HEAPPROF_THREAD_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TLS_MODEL __attribute__((tls_model("initial-exec")))

/* A value only its own thread writes and other threads may read: relaxed atomics,
   which compile to plain loads and stores on x86-64 (no lock prefix) yet are not
   data races. */
typedef _Atomic uint64_t owned_counter;

static inline uint64_t counter_get(const owned_counter *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

static inline void counter_set(owned_counter *counter, uint64_t value)
{
	atomic_store_explicit(counter, value, memory_order_relaxed);
}

static inline void counter_add(owned_counter *counter, uint64_t amount)
{
	counter_set(counter, counter_get(counter) + amount);
}

/* counter_add(counter, 1) for the fast paths, in one instruction where there is one:
   the owner is the only writer, so no lock prefix is needed, and a reader on another
   thread sees the old value or the new, never a torn one. ThreadSanitizer cannot see
   into asm, so its builds keep the atomic form. */
static inline void counter_increment(owned_counter *counter)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
	__asm__("addq $1, %0" : "+m"(*counter) : : "cc");
#else
	counter_add(counter, 1);
#endif
}

struct thread_state {
	/* Bytes this thread may still allocate before the next sample point. */
	owned_counter bytes_until_sample;
	/* Exact totals, counted on the fast path and summed by thread_registry.c. */
	owned_counter alloc_objects;
	owned_counter free_objects;
	/* Allocated bytes are derived, not counted: bytes_before_interval plus how much
	   of the current interval (interval_length) has been used. */
	owned_counter bytes_before_interval;
	owned_counter interval_length;
	/* The rate the current interval was drawn at: the sample at its end stands for
	   what that rate says, whatever the rate is later. */
	size_t interval_rate;
	/* This thread's part of the in-use estimate (estimate.c), in two's complement:
	   the weights of the samples it recorded less those of the sampled blocks it
	   freed. published_bytes is how much of it the shared sum that tracks the peak
	   holds; only the thread itself reads it. */
	owned_counter inuse_bytes;
	owned_counter inuse_units;
	owned_counter samples;
	int64_t published_bytes;
	/* The free fast path's filter mask: 0 until the thread is registered, which sends
	   its first free to the slow path (see live_maybe_sampled_masked) at no cost of
	   its own. */
	uintptr_t filter_mask;
	/* Never re-registered once retired: the thread is exiting, its TLS about to go. */
	enum { THREAD_NEW, THREAD_REGISTERED, THREAD_RETIRED } registration;
	struct thread_state *next_thread, *previous_thread;
	/* Set while the thread is inside the profiler: nested allocations (from the
	   unwinder, the loader, a signal handler) are forwarded without sampling. */
	bool busy;
	/* Set while heapprof's own libunwind walk runs; sigpipe_held while it keeps
	   SIGPIPE blocked for libunwind's pipe (libunwind_pipe.c), and what the mask and
	   the pending set held before. */
	bool capturing;
	/* Set once libunwind has walked this thread: its first walk also sets up the
	   thread's part of libunwind (unwind_stack_allows_libunwind). */
	bool libunwind_walked;
	/* Set when the thread was registered with glibc's internal signals blocked, as
	   glibc's own threads run (the one behind SIGEV_THREAD timers takes its timer
	   signal, 32, with sigwaitinfo). libunwind saves and restores the mask around its
	   lookups with sigprocmask, which never blocks those signals: the restore would
	   unblock the timer's signal, which then ends the process. libunwind does not walk
	   such a thread. */
	bool internal_signals_blocked;
	bool sigpipe_held;
	bool sigpipe_was_blocked;
	bool sigpipe_was_pending;
	/* Set while the thread records a sample; a fork waits for it to clear
	   (recorder.c). */
	atomic_bool recording;
	uint32_t rate_generation;
	uint64_t random_state;
	/* This thread's stack, for the frame-pointer unwinder's bounds checks; 0 until
	   first needed. */
	uintptr_t stack_low, stack_high;
	/* Where its stack captures are written (UNWIND_BUFFER_FRAMES): not on its stack,
	   which may be 16 KiB in all. Given at registration; NULL when there was no
	   memory for one (its samples are then dropped). */
	uintptr_t *capture_buffer;
};

extern __thread struct thread_state thread_state TLS_MODEL __attribute__((visibility("hidden")));

#endif
