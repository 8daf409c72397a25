#include "recorder.h"

#include <errno.h>
#include <sched.h>

#include "estimate.h"
#include "labels.h"
#include "live.h"
#include "modules.h"
#include "options.h"
#include "thread_registry.h"
#include "thread_state.h"
#include "write/dump_thread.h"

/* A fork waits for every recording in flight to finish, so the child never inherits a
   lock held inside libunwind or our tables. Each thread flags its own recordings: a
   lock or counter shared by all of them would bounce between cores on every sample.
   A recording that would start while a fork waits is dropped instead of waiting,
   because its thread may hold a lock (the loader's, say) that a recording in flight
   needs. */
static atomic_bool fork_waiting;

static bool begin_recording(struct thread_state *state)
{
	atomic_store_explicit(&state->recording, true, memory_order_relaxed);
	/* Paired with the fence in recorder_fork_prepare: either the fork sees this
	   thread's flag, or this thread sees the fork's. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&fork_waiting, memory_order_relaxed))
		return true;
	atomic_store_explicit(&state->recording, false, memory_order_release);
	return false;
}

static void end_recording(struct thread_state *state)
{
	atomic_store_explicit(&state->recording, false, memory_order_release);
}

/* `wait` false where the thread interrupted the profiler and may hold a lock. */
static void record_free(struct live_block block, bool wait)
{
	sites_record_free(block.site, labels_age_bucket(block.born, labels_clock()), wait);
	estimate_remove(block.site);
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
	if (!nested)
		state->busy = false;
}

static void record_alloc(void *pointer, size_t size, size_t rate, const uintptr_t *pcs, unsigned depth)
{
	uint64_t now = labels_clock();
	const char *thread = options.thread_labels ? labels_thread_name(now) : NULL;
	struct site *site = sites_record_alloc(pcs, depth, size, rate, thread);
	if (site && !atomic_load_explicit(&site->stack->modules_known, memory_order_relaxed)) {
		modules_notice(pcs, depth);
		atomic_store_explicit(&site->stack->modules_known, true, memory_order_relaxed);
	}
	if (site) {
		live_insert(pointer, (struct live_block){site, now}, record_free, true);
		dump_thread_count_allocation(estimate_add(site));
	}
}

void recorder_start(void)
{
	live_start(record_free);
}

uintptr_t *recorder_begin(struct recording *recording)
{
	struct thread_state *state = &thread_state;
	recording->saved_errno = errno;
	recording->nested = enter(state);
	recording->active = state->capture_buffer && begin_recording(state);
	return recording->active ? state->capture_buffer : NULL;
}

void recorder_alloc(struct recording *recording, void *pointer, size_t size, size_t rate,
		    const uintptr_t *pcs, unsigned depth)
{
	struct thread_state *state = &thread_state;
	if (recording->active) {
		record_alloc(pointer, size, rate, pcs, depth);
		end_recording(state);
	}
	leave(state, recording->nested);
	errno = recording->saved_errno;
}

void recorder_free(void *pointer)
{
	struct thread_state *state = &thread_state;
	int saved_errno = errno;
	bool nested = enter(state);
	struct live_block block = live_remove(pointer, record_free, !nested);
	if (block.site)
		record_free(block, !nested);
	leave(state, nested);
	errno = saved_errno;
}

struct live_block recorder_detach(void *pointer)
{
	struct thread_state *state = &thread_state;
	int saved_errno = errno;
	bool nested = enter(state);
	struct live_block block = live_remove(pointer, record_free, !nested);
	leave(state, nested);
	errno = saved_errno;
	return block;
}

void recorder_detached_freed(struct live_block block)
{
	if (!block.site)
		return;
	struct thread_state *state = &thread_state;
	int saved_errno = errno;
	bool nested = enter(state);
	record_free(block, !nested);
	leave(state, nested);
	errno = saved_errno;
}

void recorder_reattach(void *pointer, struct live_block block)
{
	struct thread_state *state = &thread_state;
	if (!block.site)
		return;
	int saved_errno = errno;
	bool nested = enter(state);
	live_insert(pointer, block, record_free, !nested);
	leave(state, nested);
	errno = saved_errno;
}

/* The forking thread itself may be recording (a fork from a signal handler): waiting
   for it would never end. */
static void wait_for_recording(struct thread_state *state)
{
	if (state == &thread_state)
		return;
	while (atomic_load_explicit(&state->recording, memory_order_acquire))
		sched_yield();
}

/* The live table's locks before the sites': a thread holding a shard of the live table
   counts the frees it applies, which may take its shard of sites. */
void recorder_fork_prepare(void)
{
	atomic_store_explicit(&fork_waiting, true, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	thread_registry_for_each(wait_for_recording);
	modules_lock();
	live_lock_all();
	sites_lock_all();
}

/* What other threads queued in the live table while the fork held its locks. */
static void apply_queued(void)
{
	struct thread_state *state = &thread_state;
	bool nested = enter(state);
	live_apply_queued(record_free, !nested);
	leave(state, nested);
}

void recorder_fork_parent(void)
{
	sites_unlock_all();
	live_unlock_all();
	modules_unlock();
	atomic_store_explicit(&fork_waiting, false, memory_order_relaxed);
	apply_queued();
}

void recorder_fork_child(void)
{
	live_fork_child();
	sites_unlock_all();
	live_unlock_all();
	modules_unlock();
	atomic_store_explicit(&fork_waiting, false, memory_order_relaxed);
	apply_queued();
}
