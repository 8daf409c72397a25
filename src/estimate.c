#include "estimate.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "options.h"
#include "sampler.h"

/* Object weights are kept in 1/65536ths: the unsampling scale is fractional. */
#define OBJECT_SCALE 65536.0
/* A new snapshot is taken when the peak has grown by 1/64 (1.6%) since the last one,
   so a heap that climbs steadily costs O(log) snapshots, not one per sample. */
#define SNAPSHOT_GROWTH_SHIFT 6

/* Signed: a block sampled at one rate and freed after a rate change is removed with
   a slightly different weight, and the sum may dip below zero. */
static _Atomic int64_t inuse_bytes, inuse_object_units, peak_bytes;
static _Atomic uint64_t samples;
static int64_t snapshot_bytes; /* under snapshot_lock */
static bool have_snapshot;
static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;

/* Go's unsampling factor for one object of `size` bytes. */
static double scale_for(size_t size)
{
	size_t rate = sampler_profile_rate();
	if (rate <= 1 || size == 0)
		return 1;
	return 1 / (1 - exp(-(double)size / (double)rate));
}

static void snapshot(int64_t bytes)
{
	if (pthread_mutex_trylock(&snapshot_lock) != 0)
		return;
	if (!have_snapshot || bytes > snapshot_bytes + (snapshot_bytes >> SNAPSHOT_GROWTH_SHIFT)) {
		for (struct site *site = sites_first(); site; site = site->next_site) {
			site->peak_alloc_objects = atomic_load_explicit(&site->alloc_objects, memory_order_relaxed);
			site->peak_free_objects = atomic_load_explicit(&site->free_objects, memory_order_relaxed);
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

uint64_t estimate_add(size_t size)
{
	double scale = scale_for(size);
	int64_t weight = (int64_t)((double)size * scale);
	atomic_fetch_add_explicit(&inuse_object_units, (int64_t)(scale * OBJECT_SCALE), memory_order_relaxed);
	atomic_fetch_add_explicit(&samples, 1, memory_order_relaxed);
	raise_peak(atomic_fetch_add_explicit(&inuse_bytes, weight, memory_order_relaxed) + weight);
	return (uint64_t)weight;
}

void estimate_remove(size_t size)
{
	double scale = scale_for(size);
	atomic_fetch_sub_explicit(&inuse_object_units, (int64_t)(scale * OBJECT_SCALE), memory_order_relaxed);
	atomic_fetch_sub_explicit(&inuse_bytes, (int64_t)((double)size * scale), memory_order_relaxed);
}

static uint64_t at_least_zero(int64_t value)
{
	return value > 0 ? (uint64_t)value : 0;
}

struct estimate estimate_read(void)
{
	int64_t units = atomic_load_explicit(&inuse_object_units, memory_order_relaxed);
	return (struct estimate){
		.inuse_bytes = at_least_zero(atomic_load_explicit(&inuse_bytes, memory_order_relaxed)),
		.inuse_objects = at_least_zero((int64_t)((double)units / OBJECT_SCALE)),
		.peak_inuse_bytes = at_least_zero(atomic_load_explicit(&peak_bytes, memory_order_relaxed)),
		.samples = atomic_load_explicit(&samples, memory_order_relaxed),
	};
}

bool estimate_hold_peak(void)
{
	pthread_mutex_lock(&snapshot_lock);
	if (have_snapshot)
		return true;
	pthread_mutex_unlock(&snapshot_lock);
	return false;
}

void estimate_release_peak(void)
{
	pthread_mutex_unlock(&snapshot_lock);
}
