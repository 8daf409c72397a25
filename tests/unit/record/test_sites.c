#include "record/sites.h"

#include <pthread.h>

#include "check.h"

/* More threads than shards (64): some share one and race in it. */
#define THREADS 72
#define SHARDS 64
#define SHARED_STACKS 3000
#define BUCKETS 40
#define ROUNDS 4
/* The sampling rate of every site but test_rate_is_part_of_the_site's. */
#define RATE 4096

/* How many times `site` is on the list of all sites. */
static unsigned times_listed(const struct site *site)
{
	unsigned times = 0;
	for (const struct site *listed = sites_first(); listed; listed = sites_next(listed))
		times += listed == site;
	return times;
}

static uint64_t listed_count(void)
{
	uint64_t count = 0;
	for (const struct site *listed = sites_first(); listed; listed = sites_next(listed))
		count++;
	return count;
}

static void test_same_and_different_sites(void)
{
	static const uintptr_t stack[] = {0x401000, 0x402000, 0x403000};
	static const uintptr_t other_stack[] = {0x401000, 0x402000, 0x403001};
	struct site *site = sites_record_alloc(stack, 3, 32, RATE, NULL);
	CHECK(site);
	CHECK_UINT(site->size, 32);
	CHECK_UINT(site->stack->depth, 3);
	CHECK(memcmp(site->stack->pcs, stack, sizeof stack) == 0);
	CHECK_UINT(site->alloc_objects, 1);
	CHECK_UINT(site->free_objects, 0);
	CHECK_UINT(sites_counts().stacks, 1);
	CHECK_UINT(sites_counts().sites, 1);

	uintptr_t copy[3];
	memcpy(copy, stack, sizeof copy);
	CHECK(sites_record_alloc(copy, 3, 32, RATE, NULL) == site);
	CHECK_UINT(site->alloc_objects, 2);

	struct site *other_size = sites_record_alloc(stack, 3, 48, RATE, NULL);
	CHECK(other_size && other_size != site);
	CHECK(other_size->stack == site->stack);
	CHECK_UINT(other_size->alloc_objects, 1);

	struct site *other_pcs = sites_record_alloc(other_stack, 3, 32, RATE, NULL);
	CHECK(other_pcs && other_pcs != site && other_pcs->stack != site->stack);
	struct site *prefix = sites_record_alloc(stack, 2, 32, RATE, NULL);
	CHECK(prefix && prefix != site && prefix->stack != site->stack);
	CHECK_UINT(prefix->stack->depth, 2);
	CHECK_UINT(site->alloc_objects, 2);

	sites_record_free(site, 0, true);
	sites_record_free(site, 0, true);
	CHECK_UINT(site->free_objects, 2);
	CHECK_UINT(other_size->free_objects, 0);

	CHECK_UINT(sites_counts().stacks, 3);
	CHECK_UINT(sites_counts().sites, 4);
	CHECK_UINT(listed_count(), 4);
	CHECK_UINT(times_listed(site), 1);
	CHECK_UINT(times_listed(other_size), 1);
	CHECK_UINT(times_listed(other_pcs), 1);
	CHECK_UINT(times_listed(prefix), 1);
}

/* The same stack and size sampled at two rates: two sites, each with its rate. */
static void test_rate_is_part_of_the_site(void)
{
	static const uintptr_t stack[] = {0x404000, 0x405000};
	struct site *before = sites_record_alloc(stack, 2, 64, 524288, NULL);
	struct site *after = sites_record_alloc(stack, 2, 64, 1, NULL);
	CHECK(before && after && before != after);
	CHECK(before->stack == after->stack);
	CHECK_UINT(before->rate, 524288);
	CHECK_UINT(after->rate, 1);
	CHECK(sites_record_alloc(stack, 2, 64, 524288, NULL) == before);
	CHECK_UINT(before->alloc_objects, 2);
	CHECK_UINT(after->alloc_objects, 1);
}

/* With thread labels, the thread's name is part of the site: the same stack and size
   on two threads are two sites, found again by name (also from the memo). */
static void test_thread_is_part_of_the_site(void)
{
	static const uintptr_t stack[] = {0x406000, 0x407000};
	struct site *pool_a = sites_record_alloc(stack, 2, 64, RATE, "pool-a");
	struct site *pool_b = sites_record_alloc(stack, 2, 64, RATE, "pool-b");
	struct site *unnamed = sites_record_alloc(stack, 2, 64, RATE, NULL);
	CHECK(pool_a && pool_b && unnamed && pool_a != pool_b && unnamed != pool_a && unnamed != pool_b);
	CHECK_STR(pool_a->thread, "pool-a");
	CHECK_STR(unnamed->thread, "");
	CHECK(sites_record_alloc(stack, 2, 64, RATE, "pool-a") == pool_a);
	CHECK(sites_record_alloc(stack, 2, 64, RATE, "pool-b") == pool_b);
	/* Longer than the kernel keeps: cut as the kernel cuts. */
	struct site *long_name = sites_record_alloc(stack, 2, 64, RATE, "a-name-longer-than-15");
	CHECK_STR(long_name->thread, "a-name-longer-t");
	CHECK_UINT(pool_a->alloc_objects, 2);
	CHECK_UINT(unnamed->alloc_objects, 1);
}

static uint64_t frees_at(const struct site *site, uint64_t bucket)
{
	for (const struct lifetime_count *count = site->lifetimes; count; count = count->next) {
		if (count->bucket == bucket)
			return count->frees;
	}
	return 0;
}

/* Frees are counted by lifetime, one count per bucket; a free that may not wait for
   a held lock is counted without its lifetime. */
static void test_lifetimes(void)
{
	static const uintptr_t stack[] = {0x408000, 0x409000};
	struct site *site = sites_record_alloc(stack, 2, 64, RATE, NULL);
	for (int i = 0; i < 5; i++)
		site = sites_record_alloc(stack, 2, 64, RATE, NULL);
	sites_record_free(site, 0, true);
	sites_record_free(site, 3, true);
	sites_record_free(site, 3, false);
	sites_record_free(site, 640, true);
	CHECK_UINT(frees_at(site, 0), 1);
	CHECK_UINT(frees_at(site, 3), 2);
	CHECK_UINT(frees_at(site, 640), 1);
	sites_lock_all();
	sites_record_free(site, 3, false);
	sites_record_free(site, 20, false);
	sites_unlock_all();
	CHECK_UINT(frees_at(site, 3), 3);
	CHECK_UINT(frees_at(site, 20), 0);
	CHECK_UINT(site->free_objects, 6);
	/* Shortest first, whatever order the buckets came in: the frequent short-lived
	   frees find their count first. */
	sites_record_free(site, 1, true);
	sites_record_free(site, 20, true);
	uint64_t previous = 0;
	unsigned counts = 0;
	for (const struct lifetime_count *count = site->lifetimes; count; count = count->next, counts++) {
		CHECK(counts == 0 || count->bucket > previous);
		previous = count->bucket;
	}
	CHECK_UINT(counts, 5);
	CHECK_UINT(frees_at(site, 1), 1);
	CHECK_UINT(frees_at(site, 20), 1);
}

/* More sizes than a thread's memo of recent sites has slots: some share a slot,
   and each must still get its own site. */
static void test_one_stack_many_sizes(void)
{
	enum { SIZES = 100 };
	static const uintptr_t stack[] = {0x900000, 0x900100};
	struct site *created[SIZES];
	uint64_t sites_before = sites_counts().sites;
	for (unsigned round = 1; round <= 3; round++) {
		for (size_t size = 1; size <= SIZES; size++) {
			struct site *site = sites_record_alloc(stack, 2, size, RATE, NULL);
			CHECK(site);
			CHECK_UINT(site->size, size);
			CHECK_UINT(site->alloc_objects, round);
			if (round == 1)
				created[size - 1] = site;
			CHECK(site == created[size - 1]);
		}
	}
	CHECK_UINT(sites_counts().sites, sites_before + SIZES);
}

/* Enough sites to grow every shard's tables several times; all found again after. */
static void test_many_sites(void)
{
	enum { STACKS = 20000, SIZES = 3 };
	static struct site *created[STACKS][SIZES];
	struct sites_counts before = sites_counts();
	for (uintptr_t i = 0; i < STACKS; i++) {
		uintptr_t stack[2] = {0x500000 + i, 0x600000};
		for (size_t size = 0; size < SIZES; size++) {
			created[i][size] = sites_record_alloc(stack, 2, 16 * (size + 1), RATE, NULL);
			CHECK(created[i][size]);
		}
	}
	for (uintptr_t i = 0; i < STACKS; i++) {
		uintptr_t stack[2] = {0x500000 + i, 0x600000};
		for (size_t size = 0; size < SIZES; size++) {
			CHECK(sites_record_alloc(stack, 2, 16 * (size + 1), RATE, NULL) == created[i][size]);
			CHECK_UINT(created[i][size]->alloc_objects, 2);
		}
	}
	CHECK_UINT(sites_counts().stacks, before.stacks + STACKS);
	CHECK_UINT(sites_counts().sites, before.sites + STACKS * SIZES);
	CHECK_UINT(listed_count(), sites_counts().sites);
	for (uintptr_t i = 0; i < STACKS; i += 997)
		CHECK_UINT(times_listed(created[i][1]), 1);
}

static pthread_barrier_t start_together;
static struct site *own_sites[THREADS];

/* THREADS threads of `work`, each given its index, which may wait at start_together. */
static void run_together(void *(*work)(void *))
{
	pthread_t threads[THREADS];
	CHECK(pthread_barrier_init(&start_together, NULL, THREADS) == 0);
	for (uintptr_t i = 0; i < THREADS; i++)
		CHECK(pthread_create(&threads[i], NULL, work, (void *)i) == 0);
	for (size_t i = 0; i < THREADS; i++)
		CHECK(pthread_join(threads[i], NULL) == 0);
	pthread_barrier_destroy(&start_together);
}

static void shared_stack(uintptr_t index, uintptr_t stack[2])
{
	stack[0] = 0x700000 + index;
	stack[1] = 0x7f0000;
}

/* Every thread walks the same new stacks in the same order, so that threads sharing a
   shard race to create each site and to grow the tables, while also counting on a
   stack of their own. */
static void *record_concurrently(void *argument)
{
	uintptr_t thread = (uintptr_t)argument;
	uintptr_t own_stack[] = {0x800000, 0x800100 + thread};
	pthread_barrier_wait(&start_together);
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (uintptr_t index = 0; index < SHARED_STACKS; index++) {
			uintptr_t stack[2];
			shared_stack(index, stack);
			struct site *shared = sites_record_alloc(stack, 2, 64, RATE, NULL);
			CHECK(shared);
			if (round % 2)
				sites_record_free(shared, 0, true);
			own_sites[thread] = sites_record_alloc(own_stack, 2, 64, RATE, NULL);
			CHECK(own_sites[thread]);
		}
	}
	return NULL;
}

/* Each shared stack's allocations and frees over every thread's site for it. */
static void sum_shared(uint64_t allocs[SHARED_STACKS], uint64_t frees[SHARED_STACKS])
{
	for (const struct site *site = sites_first(); site; site = sites_next(site)) {
		uintptr_t index = site->stack->pcs[0] - 0x700000;
		if (site->stack->depth != 2 || site->stack->pcs[1] != 0x7f0000 || index >= SHARED_STACKS)
			continue;
		allocs[index] += site->alloc_objects;
		frees[index] += site->free_objects;
	}
}

/* A thread samples into a shard of its own, so threads sampling the same stacks make
   a site each, until they outnumber the shards and share. */
static void test_concurrent_recording(void)
{
	struct sites_counts before = sites_counts();
	run_together(record_concurrently);

	/* Consecutive threads take consecutive shards: THREADS of them cover all SHARDS. */
	CHECK_UINT(sites_counts().stacks, before.stacks + SHARDS * SHARED_STACKS + THREADS);
	CHECK_UINT(sites_counts().sites, before.sites + SHARDS * SHARED_STACKS + THREADS);
	CHECK_UINT(listed_count(), sites_counts().sites);
	static uint64_t allocs[SHARED_STACKS], frees[SHARED_STACKS];
	sum_shared(allocs, frees);
	for (uintptr_t index = 0; index < SHARED_STACKS; index++) {
		CHECK_UINT(allocs[index], THREADS * ROUNDS);
		CHECK_UINT(frees[index], THREADS * ROUNDS / 2);
	}
	for (size_t i = 0; i < THREADS; i++) {
		CHECK_UINT(own_sites[i]->alloc_objects, ROUNDS * SHARED_STACKS);
		CHECK_UINT(times_listed(own_sites[i]), 1);
		for (size_t j = 0; j < i; j++)
			CHECK(own_sites[i] != own_sites[j]);
	}
}

#define FREED_SITES 200
static struct site *freed_sites[FREED_SITES];

/* For each site in turn, every thread counts a free at every bucket from the same
   moment and in the same order, so that they race to link each bucket's count. */
static void *free_concurrently(void *argument)
{
	(void)argument;
	for (unsigned i = 0; i < FREED_SITES; i++) {
		pthread_barrier_wait(&start_together);
		for (uint64_t bucket = 0; bucket < BUCKETS; bucket++)
			sites_record_free(freed_sites[i], bucket, true);
	}
	return NULL;
}

/* A site's list of lifetime counts is linked without a lock: each bucket once, in
   order, every free counted at its bucket. */
static void test_concurrent_lifetimes(void)
{
	for (uintptr_t i = 0; i < FREED_SITES; i++) {
		uintptr_t stack[] = {0x40a000 + i, 0x40b000};
		freed_sites[i] = sites_record_alloc(stack, 2, 64, RATE, NULL);
	}
	run_together(free_concurrently);

	for (unsigned i = 0; i < FREED_SITES; i++) {
		uint64_t bucket = 0;
		for (const struct lifetime_count *count = freed_sites[i]->lifetimes; count;
		     count = count->next)
			CHECK_UINT(count->bucket, bucket++);
		CHECK_UINT(bucket, BUCKETS);
		for (bucket = 0; bucket < BUCKETS; bucket++)
			CHECK_UINT(frees_at(freed_sites[i], bucket), THREADS);
	}
}

int main(void)
{
	CHECK(sites_first() == NULL);
	CHECK_UINT(sites_counts().stacks, 0);
	CHECK_UINT(sites_counts().sites, 0);
	test_same_and_different_sites();
	test_rate_is_part_of_the_site();
	test_thread_is_part_of_the_site();
	test_lifetimes();
	test_one_stack_many_sizes();
	test_many_sites();
	test_concurrent_recording();
	test_concurrent_lifetimes();
	return 0;
}
