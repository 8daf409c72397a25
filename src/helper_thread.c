#include "helper_thread.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "process_stat.h"
#include "thread_state.h"
#include "write/dump_thread.h"

/* heapprof's threads that have started and not left. */
static atomic_long running;
/* Set once the initial thread has ended without ending the process. */
static atomic_bool initial_ended;
/* Its value (any non-NULL) on the initial thread, whose destructor says it has ended. */
static pthread_key_t initial_key;
static bool initial_key_made;

struct helper {
	void *(*run)(void *argument);
	void *argument;
};

static void *run_helper(void *argument)
{
	struct helper helper = *(struct helper *)argument;
	struct thread_state *state = &thread_state;
	state->busy = true;
	free(argument);
	state->busy = false;
	void *result = helper.run(helper.argument);
	atomic_fetch_sub(&running, 1);
	return result;
}

bool helper_thread_start(void *(*run)(void *argument), void *argument)
{
	/* What this allocates (the thread's TLS too) is heapprof's, not the program's:
	   not sampled. */
	struct thread_state *state = &thread_state;
	bool was_busy = state->busy;
	state->busy = true;
	struct helper *helper = malloc(sizeof *helper);
	int error = ENOMEM;
	if (helper) {
		*helper = (struct helper){run, argument};
		/* The new thread inherits the mask it is created with. */
		sigset_t all, previous;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &previous);
		pthread_t thread;
		error = pthread_create(&thread, NULL, run_helper, helper);
		pthread_sigmask(SIG_SETMASK, &previous, NULL);
		if (error) {
			free(helper);
		} else {
			/* Counted once it exists, so the count never exceeds the threads there are. */
			atomic_fetch_add(&running, 1);
			pthread_detach(thread);
		}
	}
	state->busy = was_busy;
	return error == 0;
}

/* The initial thread is the process's leader, whatever the thread was in the parent
   of a fork: its thread id is the process id. */
static void on_thread_end(void *value)
{
	(void)value;
	if (gettid() != getpid())
		return;
	atomic_store(&initial_ended, true);
	dump_thread_look_around();
}

static void mark(void)
{
	if (!initial_key_made || pthread_getspecific(initial_key))
		return;
	/* A key past the first 32 may need a block for the thread: heapprof's allocation. */
	struct thread_state *state = &thread_state;
	bool was_busy = state->busy;
	state->busy = true;
	pthread_setspecific(initial_key, &initial_key);
	state->busy = was_busy;
}

void helper_thread_watch_initial(void)
{
	initial_key_made = pthread_key_create(&initial_key, on_thread_end) == 0;
	mark();
}

void helper_thread_fork_prepare(void)
{
	mark();
}

void helper_thread_fork_child(void)
{
	atomic_store(&running, 0);
	atomic_store(&initial_ended, false);
}

bool helper_thread_initial_ended(void)
{
	return atomic_load_explicit(&initial_ended, memory_order_relaxed);
}

void helper_thread_leave_if_alone(void)
{
	/* The initial thread counts until the process ends. */
	long threads = (long)process_stat_field(20 /* num_threads */);
	if (threads <= 0 || threads - 1 > atomic_load(&running))
		return;
	atomic_fetch_sub(&running, 1);
	/* The exit that glibc may now run on this thread is the program's. */
	thread_state.busy = false;
	pthread_exit(NULL);
}
