#include "service.h"

#include "lock_holders.h"
#include "options.h"
#include "record/sampler.h"
#include "serve/server.h"
#include "thread_state.h"
#include "write/dump_thread.h"

atomic_bool service_pending;

static bool configured(void)
{
	return options.dump_signal || options.dump_interval || options.dump_period ||
	       options.http.kind != SERVE_OFF;
}

void service_start(void)
{
	dump_thread_start();
	serve_start();
}

void service_fork_prepare(void)
{
	serve_fork_prepare();
}

void service_fork_parent(void)
{
	serve_fork_parent();
}

/* The next allocation of every thread takes the slow path: a rate "change" to the
   same rate. A fresh sampling interval is drawn there, which changes nothing the
   profile estimates: the exponential distribution forgets how much of an interval
   has passed. */
static void call_at_next_allocation(void)
{
	sampler_set_rate(sampler_get_rate());
}

void service_fork_child(void)
{
	dump_thread_fork_child();
	serve_fork_child();
	if (!configured())
		return;
	atomic_store_explicit(&service_pending, true, memory_order_relaxed);
	call_at_next_allocation();
}

void service_resume(uintptr_t caller)
{
	struct thread_state *state = &thread_state;
	/* The loader calls malloc with its lock held, which pthread_create takes. */
	if (state->busy || lock_holder_of(caller) == LOCK_HOLDER_LOADER) {
		call_at_next_allocation();
		return;
	}
	if (!atomic_exchange_explicit(&service_pending, false, memory_order_relaxed))
		return;
	bool was_busy = state->busy;
	state->busy = true;
	dump_thread_start_in_child();
	serve_start();
	state->busy = was_busy;
}
