#include "helper_thread.h"

#include <pthread.h>
#include <signal.h>

#include "thread_state.h"

bool helper_thread_start(void *(*run)(void *argument), void *argument)
{
	/* What pthread_create allocates (the thread's TLS) is heapprof's, not the
	   program's: not sampled. */
	struct thread_state *state = &thread_state;
	bool was_busy = state->busy;
	state->busy = true;
	/* The new thread inherits the mask it is created with. */
	sigset_t all, previous;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	pthread_t thread;
	int error = pthread_create(&thread, NULL, run, argument);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	state->busy = was_busy;
	if (error)
		return false;
	pthread_detach(thread);
	return true;
}
