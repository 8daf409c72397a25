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

struct weight {
	int64_t bytes;
	int64_t units;
};

/* Go's unsampling of one object of the site's size, at the current profile rate.
   Threads that race to refresh a site after a rate change store the same values. */
static struct weight weight_of(struct site *site)
{
	size_t rate = sampler_profile_rate();
	if (atomic_load_explicit(&site->weight_rate, memory_order_acquire) != rate) {
		double scale = rate <= 1 || site->size == 0 ? 1 : 1 / (1 - exp(-(double)site->size / (double)rate));
		atomic_store_explicit(&site->weight_bytes, (int64_t)((double)site->size * scale), memory_order_relaxed);
		atomic_store_explicit(&site->weight_units, (int64_t)(scale * OBJECT_SCALE), memory_order_relaxed);
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

uint64_t estimate_add(struct site *site)
{
	struct weight weight = weight_of(site);
	atomic_fetch_add_explicit(&inuse_object_units, weight.units, memory_order_relaxed);
	atomic_fetch_add_explicit(&samples, 1, memory_order_relaxed);
	raise_peak(atomic_fetch_add_explicit(&inuse_bytes, weight.bytes, memory_order_relaxed) + weight.bytes);
	return (uint64_t)weight.bytes;
}

void estimate_remove(struct site *site)
{
	struct weight weight = weight_of(site);
	atomic_fetch_sub_explicit(&inuse_object_units, weight.units, memory_order_relaxed);
	atomic_fetch_sub_explicit(&inuse_bytes, weight.bytes, memory_order_relaxed);
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
