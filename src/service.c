#include "service.h"

#include "lock_holders.h"
#include "options.h"
#include "record/sampler.h"
#include "serve/server.h"
#include "stop.h"
#include "thread_state.h"
#include "write/dump_thread.h"

atomic_bool service_safe_point_wanted;
/* Set in a fork child until its services have started. */
static atomic_bool services_pending;

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

/* A rate "change" to the same rate sends every thread's next allocation down the
   slow path. A fresh sampling interval is drawn there, which changes nothing the
   profile estimates: the exponential distribution forgets how much of an interval
   has passed. */
void service_want_safe_point(void)
{
	atomic_store_explicit(&service_safe_point_wanted, true, memory_order_relaxed);
	sampler_set_rate(sampler_get_rate());
}

void service_fork_child(void)
{
	dump_thread_fork_child();
	serve_fork_child();
	if (!configured())
		return;
	atomic_store_explicit(&services_pending, true, memory_order_relaxed);
	service_want_safe_point();
}

void service_safe_point(uintptr_t caller)
{
	struct thread_state *state = &thread_state;
	/* The loader calls malloc with its lock held, which pthread_create takes. */
	if (state->busy || lock_holder_of(caller) == LOCK_HOLDER_LOADER) {
		service_want_safe_point();
		return;
	}
	if (!atomic_exchange_explicit(&service_safe_point_wanted, false, memory_order_relaxed))
		return;
	stop_at_safe_point();
	if (!atomic_exchange_explicit(&services_pending, false, memory_order_relaxed))
		return;
	state->busy = true;
	dump_thread_start_in_child();
	serve_start();
	state->busy = false;
}
