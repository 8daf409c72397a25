/* The public API of include/heapprof.h. */
#include "heapprof.h"

#include <errno.h>

#include "record/estimate.h"
#include "record/sampler.h"
#include "record/thread_registry.h"
#include "record/unwind.h"
#include "thread_state.h"
#include "write/dump.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT void heapprof_set_rate(size_t bytes)
{
	/* Before the rate: no thread samples before libunwind is there to capture. */
	if (bytes)
		unwind_load();
	sampler_set_rate(bytes);
}

EXPORT size_t heapprof_get_rate(void)
{
	return sampler_get_rate();
}

EXPORT int heapprof_write_profile(const char *path)
{
	int error = dump_write(path);
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

EXPORT int heapprof_read_stats(struct heapprof_stats *stats)
{
	if (!stats) {
		errno = EINVAL;
		return -1;
	}
	/* Inside heapprof while it holds the registry's lock: a fork from a signal
	   handler that interrupts it must not wait for that lock (lifecycle.c). */
	struct thread_state *state = &thread_state;
	bool was_busy = state->busy;
	state->busy = true;
	struct thread_totals totals = thread_registry_totals();
	struct estimate estimate = estimate_of(&totals);
	state->busy = was_busy;
	*stats = (struct heapprof_stats){
		.total_alloc_bytes = totals.alloc_bytes,
		.total_alloc_objects = totals.alloc_objects,
		.total_free_objects = totals.free_objects,
		.inuse_bytes_estimate = estimate.inuse_bytes,
		.inuse_objects_estimate = estimate.inuse_objects,
		.peak_inuse_bytes_estimate = estimate.peak_inuse_bytes,
		.samples = estimate.samples,
		.rate = sampler_get_rate(),
	};
	return 0;
}

EXPORT const char *heapprof_version(void)
{
	return HEAPPROF_VERSION;
}
