#include "thread_registry.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arena.h"
#include "live.h"
#include "unwind.h"

/* A stack capture's room, kept by the registry because its life is a registered
   thread's: taken when the thread registers, recycled when it exits. */
union capture_buffer {
	union capture_buffer *next_free;
	uintptr_t frames[UNWIND_BUFFER_FRAMES];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct thread_state *threads;
/* Counts of threads that have exited. Under `lock`. */
static struct thread_totals retired;
/* Capture buffers: where they come from, and those that exited threads left. Under
   `lock`. */
static struct arena buffer_arena;
static union capture_buffer *free_buffers;
static pthread_key_t exit_key;
static bool key_ready; /* under `lock` */
static void (*exit_hook)(struct thread_state *state);

static uint64_t allocated_bytes(const struct thread_state *state)
{
	/* A countdown above the interval length belongs to a redraw in progress. */
	uint64_t left = counter_get(&state->bytes_until_sample);
	uint64_t length = counter_get(&state->interval_length);
	return counter_get(&state->bytes_before_interval) + (length > left ? length - left : 0);
}

/* A thread counts an allocation before its sample: samples are read first, or
   allocations the thread made meanwhile would add samples and not their counts. */
static void add_counts(struct thread_totals *totals, const struct thread_state *state)
{
	totals->samples += atomic_load_explicit(&state->samples, memory_order_acquire);
	totals->alloc_objects += counter_get(&state->alloc_objects);
	totals->free_objects += counter_get(&state->free_objects);
	totals->alloc_bytes += allocated_bytes(state);
	totals->inuse_bytes += (int64_t)counter_get(&state->inuse_bytes);
	totals->inuse_units += (int64_t)counter_get(&state->inuse_units);
}

static void unlink_thread(struct thread_state *state)
{
	if (state->previous_thread)
		state->previous_thread->next_thread = state->next_thread;
	else
		threads = state->next_thread;
	if (state->next_thread)
		state->next_thread->previous_thread = state->previous_thread;
	state->next_thread = state->previous_thread = NULL;
}

static uintptr_t *take_buffer_locked(void)
{
	union capture_buffer *buffer = free_buffers;
	if (buffer)
		free_buffers = buffer->next_free;
	else
		buffer = arena_alloc(&buffer_arena, sizeof *buffer);
	return buffer ? buffer->frames : NULL;
}

static void return_buffer_locked(struct thread_state *state)
{
	union capture_buffer *buffer = (union capture_buffer *)state->capture_buffer;
	state->capture_buffer = NULL;
	if (!buffer)
		return;
	buffer->next_free = free_buffers;
	free_buffers = buffer;
}

/* Keeps the thread's counts and forgets its TLS, which glibc frees or gives to a
   later thread. Under `lock`. */
static void retire_locked(struct thread_state *state)
{
	add_counts(&retired, state);
	unlink_thread(state);
	return_buffer_locked(state);
	state->registration = THREAD_RETIRED;
}

/* At thread exit. What the thread does after this (later destructors, libc's own
   cleanup) is not counted. */
static void retire(void *argument)
{
	struct thread_state *state = argument;
	if (exit_hook)
		exit_hook(state);
	pthread_mutex_lock(&lock);
	retire_locked(state);
	pthread_mutex_unlock(&lock);
}

/* The key whose destructor retires a thread, created by the first registration
   rather than by heapprof's constructor: threads register before that runs (one
   that a library's constructor starts and joins), and a thread left listed after
   its exit would be linked in again when a new thread reuses its TLS, and the list
   would loop. pthread_key_create claims a free key with a compare-and-swap, without
   allocating or locking, so it may run inside free. Under `lock`. */
static bool have_exit_key_locked(void)
{
	if (!key_ready)
		key_ready = pthread_key_create(&exit_key, retire) == 0;
	return key_ready;
}

/* glibc's cancellation signal (32), in the kernel's 8-byte signal set: its
   sigprocmask and pthread_sigmask never let a program block it, and a thread that
   ends blocks it with every other signal once its key destructors have run, before
   it frees what it frees on the way out (a detached thread trims glibc's cache of
   stacks, freeing the dead threads' TLS). A thread that has not allocated or freed
   by then would be listed with no destructor left to retire it, and a later thread
   given its stack and TLS would be linked in where it still is: the list would loop.
   Asked at a thread's first free only: that is all an ending thread does by then, and
   glibc's own threads that run with the same signals blocked (the one behind
   SIGEV_THREAD timers) allocate first. */
#define EXIT_MASK_BIT ((uint64_t)1 << (32 - 1))
/* glibc's two internal signals, cancellation's and setxid's. */
#define INTERNAL_SIGNAL_BITS ((uint64_t)3 << (32 - 1))

static uint64_t blocked_signals(void)
{
	uint64_t blocked = 0;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked, sizeof blocked);
	return blocked;
}

static bool past_its_destructors(void)
{
	return blocked_signals() & EXIT_MASK_BIT;
}

void thread_registry_start(void (*at_exit)(struct thread_state *state))
{
	exit_hook = at_exit;
}

/* Links the thread, whose registration it has claimed. */
static void list_thread(struct thread_state *state)
{
	state->filter_mask = LIVE_FILTER_MASK;
	state->internal_signals_blocked = blocked_signals() & INTERNAL_SIGNAL_BITS;
	bool was_busy = state->busy;
	/* pthread_setspecific may allocate for high keys: that must not recurse. */
	state->busy = true;
	pthread_mutex_lock(&lock);
	state->next_thread = threads;
	state->previous_thread = NULL;
	if (threads)
		threads->previous_thread = state;
	threads = state;
	state->capture_buffer = take_buffer_locked();
	bool retirable = have_exit_key_locked();
	pthread_mutex_unlock(&lock);
	/* A thread that would not be retired at its exit must not stay listed: it then
	   records nothing more. */
	if (!retirable || pthread_setspecific(exit_key, state) != 0)
		retire(state);
	state->busy = was_busy;
}

void thread_registry_add(struct thread_state *state)
{
	if (state->registration != THREAD_NEW)
		return;
	state->registration = THREAD_REGISTERED;
	list_thread(state);
}

void thread_registry_add_at_free(struct thread_state *state)
{
	if (state->registration != THREAD_NEW)
		return;
	/* Claimed before the system call, on whose return a pending signal is handled: a
	   handler that allocates then finds the thread registered, and cannot link it too. */
	state->registration = THREAD_REGISTERED;
	if (past_its_destructors())
		state->registration = THREAD_RETIRED;
	else
		list_thread(state);
}

void thread_registry_fork_child(struct thread_state *survivor)
{
	for (struct thread_state *state = threads, *next; state; state = next) {
		next = state->next_thread;
		if (state == survivor)
			continue;
		if (exit_hook)
			exit_hook(state);
		retire_locked(state);
	}
}

struct thread_totals thread_registry_totals(void)
{
	pthread_mutex_lock(&lock);
	struct thread_totals totals = retired;
	for (struct thread_state *state = threads; state; state = state->next_thread)
		add_counts(&totals, state);
	pthread_mutex_unlock(&lock);
	return totals;
}

void thread_registry_for_each(void (*visit)(struct thread_state *state))
{
	pthread_mutex_lock(&lock);
	for (struct thread_state *state = threads; state; state = state->next_thread)
		visit(state);
	pthread_mutex_unlock(&lock);
}

void thread_registry_lock(void)
{
	pthread_mutex_lock(&lock);
}

bool thread_registry_trylock(void)
{
	return pthread_mutex_trylock(&lock) == 0;
}

void thread_registry_unlock(void)
{
	pthread_mutex_unlock(&lock);
}
