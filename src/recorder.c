#include "recorder.h"

#include <errno.h>
#include <pthread.h>

#include "dumper.h"
#include "estimate.h"
#include "live.h"
#include "modules.h"
#include "next_allocator.h"
#include "options.h"
#include "thread_state.h"
#include "unwind.h"

/* Held for reading by every recording and for writing across fork, so the child never
   inherits a lock held inside libunwind or our tables. Writers first: a steady stream
   of samples must not starve a fork. */
static pthread_rwlock_t recording = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

static void record_free(struct site *site)
{
	sites_record_free(site);
	estimate_remove(site);
}

/* Releases blocks whose free arrived while the thread was busy. */
static void release_deferred(struct thread_state *state)
{
	while (state->deferred_count) {
		void *pointer = state->deferred[--state->deferred_count];
		struct site *site = live_remove(pointer, true);
		if (site)
			record_free(site);
		next.free(pointer);
	}
}

/* Marks the thread busy; returns whether it already was (a nested call, from a signal
   handler that interrupted the profiler). */
static bool enter(struct thread_state *state)
{
	bool nested = state->busy;
	state->busy = true;
	return nested;
}

static void leave(struct thread_state *state, bool nested)
{
	if (nested)
		return;
	if (state->deferred_count)
		release_deferred(state);
	state->busy = false;
}

void recorder_alloc(void *pointer, size_t size, uintptr_t caller)
{
	struct thread_state *state = &thread_state;
	int saved_errno = errno;
	uintptr_t pcs[OPTIONS_MAX_DEPTH];
	bool nested = enter(state);
	pthread_rwlock_rdlock(&recording);
	unsigned depth = unwind_capture(pcs, options.depth, caller);
	struct site *site = sites_record_alloc(pcs, depth, size);
	if (site && !atomic_load_explicit(&site->stack->modules_known, memory_order_relaxed)) {
		modules_notice(pcs, depth);
		atomic_store_explicit(&site->stack->modules_known, true, memory_order_relaxed);
	}
	if (site && live_insert(pointer, site))
		dumper_count_allocation(estimate_add(site));
	pthread_rwlock_unlock(&recording);
	leave(state, nested);
	errno = saved_errno;
}

bool recorder_free(void *pointer)
{
	struct thread_state *state = &thread_state;
	int saved_errno = errno;
	bool nested = enter(state);
	struct site *site = live_remove(pointer, !nested);
	if (site == LIVE_BUSY) {
		/* Interrupted inside the profiler, maybe holding this very lock: hold the
		   block until the thread leaves, so its address cannot be reused first. */
		if (state->deferred_count < DEFERRED_FREES) {
			state->deferred[state->deferred_count++] = pointer;
			errno = saved_errno;
			return false;
		}
		site = NULL;
	}
	if (site)
		record_free(site);
	leave(state, nested);
	errno = saved_errno;
	return true;
}

struct site *recorder_detach(void *pointer)
{
	struct thread_state *state = &thread_state;
	int saved_errno = errno;
	bool nested = enter(state);
	struct site *site = live_remove(pointer, !nested);
	leave(state, nested);
	errno = saved_errno;
	return site == LIVE_BUSY ? NULL : site;
}

void recorder_detached_freed(struct site *site)
{
	if (site)
		record_free(site);
}

void recorder_reattach(void *pointer, struct site *site)
{
	struct thread_state *state = &thread_state;
	if (!site)
		return;
	int saved_errno = errno;
	bool nested = enter(state);
	live_insert(pointer, site);
	leave(state, nested);
	errno = saved_errno;
}

void recorder_fork_prepare(void)
{
	pthread_rwlock_wrlock(&recording);
	modules_lock();
	sites_lock_all();
	live_lock_all();
}

void recorder_fork_parent(void)
{
	live_unlock_all();
	sites_unlock_all();
	modules_unlock();
	pthread_rwlock_unlock(&recording);
}

void recorder_fork_child(void)
{
	live_unlock_all();
	sites_unlock_all();
	modules_unlock();
	/* A write-locked rwlock records its owner's thread id, which the child's thread
	   does not have: start it afresh instead of unlocking. */
	pthread_rwlock_t fresh = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
	recording = fresh;
}
