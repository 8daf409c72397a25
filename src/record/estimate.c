#include "estimate.h"

#include <pthread.h>
#include <stdatomic.h>

#include "options.h"
#include "sampler.h"
#include "thread_registry.h"

/* Object weights are kept in 1/65536ths: the unsampling scale is fractional. */
#define OBJECT_SCALE 65536.0
/* A new snapshot is taken when the peak has grown by 1/64 (1.6%) since the last one,
   so a heap that climbs steadily costs O(log) snapshots, not one per sample. */
#define SNAPSHOT_GROWTH_SHIFT 6
/* A thread adds its part to the shared sum once it has moved this far, or when it
   might set a new peak: the peak is then known to within this much per thread. */
#define PUBLISH_BYTES ((int64_t)64 << 10)

/* Signed: a thread's part goes below zero when it frees blocks other threads sampled,
   and the sum of the parts published so far may too. */
static _Atomic int64_t shared_inuse_bytes, peak_bytes;
/* The parts of threads the registry does not list: not yet registered, or exiting. */
static _Atomic int64_t unlisted_bytes, unlisted_units;
static _Atomic uint64_t unlisted_samples;
static int64_t snapshot_bytes; /* under snapshot_lock */
static bool have_snapshot;
static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;

struct weight {
	int64_t bytes;
	int64_t units;
};

/* Go's unsampling of one object of the site's size, at the rate its samples were
   taken at. Threads that race to work it out store the same values. */
static struct weight weight_of(struct site *site)
{
	size_t rate = site->rate;
	if (atomic_load_explicit(&site->weight_rate, memory_order_acquire) != rate) {
		double scale = sampler_unsampling_scale((double)site->size, rate);
		atomic_store_explicit(&site->weight_bytes, (int64_t)((double)site->size * scale),
				      memory_order_relaxed);
		atomic_store_explicit(&site->weight_units, (int64_t)(scale * OBJECT_SCALE),
				      memory_order_relaxed);
		atomic_store_explicit(&site->weight_rate, rate, memory_order_release);
	}
	return (struct weight){atomic_load_explicit(&site->weight_bytes, memory_order_relaxed),
			       atomic_load_explicit(&site->weight_units, memory_order_relaxed)};
}

static void snapshot(int64_t bytes)
{
	if (pthread_mutex_trylock(&snapshot_lock) != 0)
		return;
	if (!have_snapshot || bytes > snapshot_bytes + (snapshot_bytes >> SNAPSHOT_GROWTH_SHIFT)) {
		for (struct site *site = sites_first(); site; site = sites_next(site)) {
			site->peak_alloc_objects =
				atomic_load_explicit(&site->alloc_objects, memory_order_relaxed);
			site->peak_free_objects =
				atomic_load_explicit(&site->free_objects, memory_order_relaxed);
		}
		snapshot_bytes = bytes;
		have_snapshot = true;
	}
	pthread_mutex_unlock(&snapshot_lock);
}

static void raise_peak(int64_t bytes)
{
	int64_t peak = atomic_load_explicit(&peak_bytes, memory_order_relaxed);
	while (bytes > peak) {
		if (atomic_compare_exchange_weak_explicit(&peak_bytes, &peak, bytes, memory_order_relaxed,
							  memory_order_relaxed)) {
			if (options.peak)
				snapshot(bytes);
			return;
		}
	}
}

static void add_to_shared_sum(int64_t delta)
{
	int64_t sum = atomic_fetch_add_explicit(&shared_inuse_bytes, delta, memory_order_relaxed) + delta;
	if (delta > 0)
		raise_peak(sum);
}

static void publish(struct thread_state *state, int64_t delta)
{
	state->published_bytes += delta;
	add_to_shared_sum(delta);
}

/* Whether adding `unpublished` could take the shared sum past the peak: a small heap's
   peak is then seen however little it grows. Both reads are of lines that change only
   when some thread publishes. */
static bool may_set_peak(int64_t unpublished)
{
	return unpublished > 0 &&
	       atomic_load_explicit(&shared_inuse_bytes, memory_order_relaxed) + unpublished >
		       atomic_load_explicit(&peak_bytes, memory_order_relaxed);
}

static bool listed(const struct thread_state *state)
{
	return state->registration == THREAD_REGISTERED;
}

/* Adds `bytes` and `units` (negative for a free) to the thread's part. */
static void change(struct thread_state *state, int64_t bytes, int64_t units)
{
	if (!listed(state)) {
		atomic_fetch_add_explicit(&unlisted_bytes, bytes, memory_order_relaxed);
		atomic_fetch_add_explicit(&unlisted_units, units, memory_order_relaxed);
		add_to_shared_sum(bytes);
		return;
	}
	int64_t part = (int64_t)counter_get(&state->inuse_bytes) + bytes;
	counter_set(&state->inuse_bytes, (uint64_t)part);
	counter_add(&state->inuse_units, (uint64_t)units);
	int64_t unpublished = part - state->published_bytes;
	if (unpublished >= PUBLISH_BYTES || unpublished <= -PUBLISH_BYTES || may_set_peak(unpublished))
		publish(state, unpublished);
}

uint64_t estimate_add(struct site *site)
{
	struct thread_state *state = &thread_state;
	struct weight weight = weight_of(site);
	if (listed(state))
		counter_increment(&state->samples);
	else
		atomic_fetch_add_explicit(&unlisted_samples, 1, memory_order_relaxed);
	change(state, weight.bytes, weight.units);
	return (uint64_t)weight.bytes;
}

void estimate_remove(struct site *site)
{
	struct weight weight = weight_of(site);
	change(&thread_state, -weight.bytes, -weight.units);
}

void estimate_publish_all(struct thread_state *state)
{
	int64_t unpublished = (int64_t)counter_get(&state->inuse_bytes) - state->published_bytes;
	if (unpublished)
		publish(state, unpublished);
}

static uint64_t at_least_zero(int64_t value)
{
	return value > 0 ? (uint64_t)value : 0;
}

struct estimate estimate_of(const struct thread_totals *totals)
{
	int64_t bytes = totals->inuse_bytes + atomic_load_explicit(&unlisted_bytes, memory_order_relaxed);
	int64_t units = totals->inuse_units + atomic_load_explicit(&unlisted_units, memory_order_relaxed);
	int64_t peak = atomic_load_explicit(&peak_bytes, memory_order_relaxed);
	return (struct estimate){
		.inuse_bytes = at_least_zero(bytes),
		.inuse_objects = at_least_zero((int64_t)((double)units / OBJECT_SCALE)),
		.peak_inuse_bytes = at_least_zero(peak > bytes ? peak : bytes),
		.samples = totals->samples + atomic_load_explicit(&unlisted_samples, memory_order_relaxed),
	};
}

struct estimate estimate_read(void)
{
	struct thread_totals totals = thread_registry_totals();
	return estimate_of(&totals);
}

void estimate_lock_snapshot(void)
{
	pthread_mutex_lock(&snapshot_lock);
}

void estimate_unlock_snapshot(void)
{
	pthread_mutex_unlock(&snapshot_lock);
}

bool estimate_hold_peak(void)
{
	estimate_lock_snapshot();
	if (have_snapshot)
		return true;
	estimate_unlock_snapshot();
	return false;
}
