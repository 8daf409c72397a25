#include "record/estimate.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "record/sampler.h"
#include "record/thread_registry.h"

static const uintptr_t stack[] = {0x401000, 0x402000};

static void check_estimate(uint64_t inuse_bytes, uint64_t inuse_objects, uint64_t peak, uint64_t samples)
{
	struct estimate estimate = estimate_read();
	CHECK_UINT(estimate.inuse_bytes, inuse_bytes);
	CHECK_UINT(estimate.inuse_objects, inuse_objects);
	CHECK_UINT(estimate.peak_inuse_bytes, peak);
	CHECK_UINT(estimate.samples, samples);
}

/* The site of `size` at the current rate, as the recorder would find it. */
static struct site *site_of(size_t size)
{
	struct site *site = sites_record_alloc(stack, 2, size, sampler_get_rate(), NULL);
	CHECK(site);
	return site;
}

/* As the recorder does: the site first, then the estimate. */
static struct site *record_alloc(size_t size)
{
	struct site *site = site_of(size);
	estimate_add(site);
	return site;
}

static void record_free(struct site *site)
{
	sites_record_free(site, 0, true);
	estimate_remove(site);
}

static void check_peak_counters(const struct site *site, uint64_t alloc_objects, uint64_t free_objects)
{
	CHECK(estimate_hold_peak());
	CHECK_UINT(site->peak_alloc_objects, alloc_objects);
	CHECK_UINT(site->peak_free_objects, free_objects);
	estimate_unlock_snapshot();
}

/* At rate 1 every allocation was sampled: weights are the sizes themselves. */
static void test_unscaled(void)
{
	sampler_set_rate(1);
	CHECK(!estimate_hold_peak());
	check_estimate(0, 0, 0, 0);
	CHECK_UINT(estimate_add(site_of(100)), 100);
	CHECK_UINT(estimate_add(site_of(0)), 0);
	check_estimate(100, 2, 100, 2);
	estimate_remove(site_of(100));
	estimate_remove(site_of(0));
	check_estimate(0, 0, 100, 2);
}

/* Weights are Go's unsampling of one object (as profile_unsample scales it). The
   sites of 100 and 0 bytes at rate 1 are others, which keep their weights
   (test_weight_kept_across_rate_change). */
static void test_scaled(void)
{
	sampler_set_rate(524288);
	CHECK_UINT(estimate_add(site_of(1024)), 524800);
	check_estimate(524800, 512, 524800, 3);
	CHECK_UINT(estimate_add(site_of(524288)), 829411);
	check_estimate(524800 + 829411, 514, 524800 + 829411, 4);
	estimate_remove(site_of(1024));
	estimate_remove(site_of(524288));
	check_estimate(0, 0, 524800 + 829411, 4);
	/* Removing more than was added reads as nothing, not as a huge number. */
	estimate_remove(site_of(4096));
	check_estimate(0, 0, 524800 + 829411, 4);
	estimate_add(site_of(4096));
	CHECK_UINT(estimate_add(site_of(100)), 524338);
	estimate_remove(site_of(100));
	/* A zero-byte block is one object of no bytes, not an infinite scale. */
	CHECK_UINT(estimate_add(site_of(0)), 0);
	check_estimate(0, 1, 524800 + 829411, 7);
	estimate_remove(site_of(0));
	check_estimate(0, 0, 524800 + 829411, 7);
}

/* A block sampled before a rate change is removed with the weight it was added with. */
static void test_weight_kept_across_rate_change(void)
{
	sampler_set_rate(524288);
	struct site *sampled_before = site_of(1024);
	uint64_t before = estimate_read().inuse_bytes;
	CHECK_UINT(estimate_add(sampled_before), 524800);
	sampler_set_rate(1);
	struct site *sampled_after = site_of(1024);
	CHECK(sampled_after != sampled_before);
	CHECK_UINT(estimate_add(sampled_after), 1024);
	CHECK_UINT(estimate_read().inuse_bytes, before + 524800 + 1024);
	estimate_remove(sampled_before);
	CHECK_UINT(estimate_read().inuse_bytes, before + 1024);
	estimate_remove(sampled_after);
	CHECK_UINT(estimate_read().inuse_bytes, before);
}

/* The peak profile's counters are the site's counters when the heap was largest
   (blocks of 1M, each a growth well past the earlier peak's). */
static void test_peak_snapshot(void)
{
	sampler_set_rate(1);
	const size_t size = 1 << 20;
	struct site *site = NULL;
	for (unsigned i = 0; i < 4; i++)
		site = record_alloc(size);
	check_peak_counters(site, 4, 0);
	record_free(site);
	record_free(site);
	site = record_alloc(size);
	CHECK_UINT(site->alloc_objects, 5);
	CHECK_UINT(site->free_objects, 2);
	check_peak_counters(site, 4, 0);
	site = record_alloc(size);
	site = record_alloc(size);
	check_peak_counters(site, 7, 2);
}

#define PART_THREADS 8
#define PART_SAMPLES 15 /* of 4 KiB: 60 KiB per thread, short of a publication */

struct part {
	struct site *site;
	pthread_barrier_t *recorded, *checked;
};

static void *record_part(void *argument)
{
	struct part *part = argument;
	thread_registry_add(&thread_state);
	for (unsigned i = 0; i < PART_SAMPLES; i++)
		estimate_add(part->site);
	pthread_barrier_wait(part->recorded);
	pthread_barrier_wait(part->checked);
	return NULL;
}

/* Registered threads keep their parts to themselves until one has moved 64 KiB or
   might set a new peak, yet reads are exact; a part that never got there reaches the
   shared sum when its thread exits. Here a 400 KiB peak is set and left first; eight
   threads of 60 KiB each publish nothing until they exit, and then set a new peak
   (whose snapshot counts the site they recorded on). Run in a child process, so that
   the peak starts from nothing. */
static void test_thread_parts(void)
{
	sampler_set_rate(1);
	thread_registry_start(estimate_publish_all);
	struct site *large = site_of(400 << 10);
	estimate_add(large);
	estimate_remove(large);
	pthread_barrier_t recorded, checked;
	CHECK(pthread_barrier_init(&recorded, NULL, PART_THREADS + 1) == 0);
	CHECK(pthread_barrier_init(&checked, NULL, PART_THREADS + 1) == 0);
	struct part part = {site_of(4096), &recorded, &checked};
	pthread_t threads[PART_THREADS];
	for (unsigned i = 0; i < PART_THREADS; i++)
		CHECK(pthread_create(&threads[i], NULL, record_part, &part) == 0);
	pthread_barrier_wait(&recorded);
	const uint64_t total = PART_THREADS * PART_SAMPLES * 4096;
	check_estimate(total, PART_THREADS * PART_SAMPLES, total, 1 + PART_THREADS * PART_SAMPLES);
	CHECK(estimate_hold_peak());
	CHECK_UINT(part.site->peak_alloc_objects, 0);
	estimate_unlock_snapshot();
	pthread_barrier_wait(&checked);
	for (unsigned i = 0; i < PART_THREADS; i++)
		CHECK(pthread_join(threads[i], NULL) == 0);
	check_estimate(total, PART_THREADS * PART_SAMPLES, total, 1 + PART_THREADS * PART_SAMPLES);
	CHECK(estimate_hold_peak());
	CHECK_UINT(part.site->peak_alloc_objects, 1);
	estimate_unlock_snapshot();
}

/* A registered thread's heap that never reaches 64 KiB still has its peak. */
static void test_small_peak(void)
{
	sampler_set_rate(1);
	thread_registry_start(estimate_publish_all);
	thread_registry_add(&thread_state);
	struct site *site = site_of(100);
	estimate_add(site);
	estimate_add(site);
	estimate_remove(site);
	check_estimate(100, 1, 200, 2);
	CHECK(estimate_hold_peak());
	CHECK_UINT(site->peak_alloc_objects, 1);
	estimate_unlock_snapshot();
}

static void in_child(void (*test)(void))
{
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		test();
		_exit(0);
	}
	int status;
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	in_child(test_thread_parts);
	in_child(test_small_peak);
	test_unscaled();
	test_scaled();
	test_weight_kept_across_rate_change();
	test_peak_snapshot();
	return 0;
}
