/* Start-up, fork and exit: everything heavy happens here, outside malloc. */
#include <pthread.h>
#include <stdlib.h>

#include "closes.h"
#include "descriptors.h"
#include "helper_thread.h"
#include "lock_holders.h"
#include "options.h"
#include "record/estimate.h"
#include "record/libunwind_pipe.h"
#include "record/modules.h"
#include "record/next_allocator.h"
#include "record/recorder.h"
#include "record/sampler.h"
#include "record/thread_registry.h"
#include "record/unwind.h"
#include "service.h"
#include "stop.h"
#include "thread_state.h"
#include "write/dump.h"
#include "write/output.h"

/* A fork on a thread that is inside heapprof comes from a signal handler that
   interrupted it. The interrupted code may hold any of heapprof's locks or be in
   the middle of a recording: waiting for it, or for the locks, would never end. Such
   a fork takes and waits for nothing; the thread is still inside heapprof after it,
   in both processes, until the handler returns and the interrupted code finishes and
   lets go of what it held. In the child, no other thread can hold anything once
   that is done, provided the program had one thread (glibc's own fork is
   async-signal-safe only then). */
static bool forking_inside_heapprof(void)
{
	return thread_state.busy;
}

static void before_fork(void)
{
	if (forking_inside_heapprof())
		return;
	helper_thread_fork_prepare();
	service_fork_prepare();
	dump_lock();
	estimate_lock_snapshot();
	recorder_fork_prepare();
	thread_registry_lock();
}

static void after_fork_in_parent(void)
{
	if (forking_inside_heapprof())
		return;
	thread_registry_unlock();
	recorder_fork_parent();
	estimate_unlock_snapshot();
	dump_unlock();
	service_fork_parent();
}

static void after_fork_in_child(void)
{
	descriptor_fork_child();
	if (!forking_inside_heapprof()) {
		thread_registry_fork_child(&thread_state);
		thread_registry_unlock();
		recorder_fork_child();
		estimate_unlock_snapshot();
		dump_unlock();
	} else if (thread_registry_trylock()) {
		/* Unless the interrupted code holds it (a thread's first free). */
		thread_registry_fork_child(&thread_state);
		thread_registry_unlock();
	}
	libunwind_pipe_fork_child();
	helper_thread_fork_child();
	output_forget_written();
	stop_fork_child();
	service_fork_child();
}

static void at_exit(void)
{
	dump_at_exit();
	stop_at_exit();
}

__attribute__((constructor)) static void heapprof_start(void)
{
	struct thread_state *state = &thread_state;
	/* dlopen and friends allocate: those allocations are ours, not the program's. */
	state->busy = true;
	next_allocator_resolve();
	closes_resolve();
	lock_holders_find();
	options_read();
	output_start(options.out);
	dump_start_clock();
	unwind_start();
	if (options.rate)
		unwind_load();
	modules_refresh();
	thread_registry_start(estimate_publish_all);
	recorder_start();
	pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
	helper_thread_watch_initial();
	/* Registered now, after libc's own exit work and before the program's: the
	   program's atexit handlers and static destructors run first. */
	atexit(at_exit);
	state->busy = false;
	sampler_start();
	stop_start();
	service_start();
}
