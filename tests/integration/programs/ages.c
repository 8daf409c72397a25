/* Blocks of known ages and lifetimes, on threads of known names: `ages COUNT SIZE`.
   site_old keeps COUNT blocks from the start; site_long_lived frees its COUNT after
   the 3.5 s pause and site_short_lived each of its COUNT at once; site_young keeps
   COUNT blocks allocated after the pause; threads named pool-a and pool-b keep COUNT
   and 2 COUNT blocks of site_pooled. Every block is SIZE bytes. Prints the exact
   totals of each site at rate 1: "site alloc_objects alloc_space inuse_objects
   inuse_space". On stderr, "times" and the CLOCK_MONOTONIC_COARSE nanoseconds (the
   clock heapprof ages blocks by) before and after each step, so that a test can tell
   which ages and lifetimes a machine that stalled the program may show: the start,
   after the old and long-lived blocks, after the short-lived ones, after the pause,
   after the young blocks, after the long-lived ones are freed, the end. */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static long count, size;
static void **old, **long_lived, **young, **pooled[2];

/* Each site is its own function holding its own call to malloc, so the profile
   attributes it by name; the array of blocks comes from mmap, not to be a site. */
#define SITE(name)                                                                              \
	__attribute__((noinline)) static void **name(long blocks)                               \
	{                                                                                       \
		void **kept = mmap(NULL, (size_t)blocks * sizeof *kept, PROT_READ | PROT_WRITE, \
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);                         \
		for (long i = 0; i < blocks; i++) {                                             \
			kept[i] = malloc((size_t)size);                                         \
			memset(kept[i], 1, 16);                                                 \
		}                                                                               \
		return kept;                                                                    \
	}

SITE(site_old)
SITE(site_long_lived)
SITE(site_young)
SITE(site_pooled)

__attribute__((noinline)) static void site_short_lived(void)
{
	for (long i = 0; i < count; i++) {
		char *block = malloc((size_t)size);
		memset(block, 1, 16);
		free(block);
	}
}

static void *pool(void *argument)
{
	long index = (long)argument;
	pthread_setname_np(pthread_self(), index ? "pool-b" : "pool-a");
	pooled[index] = site_pooled(count * (index + 1));
	return NULL;
}

static uint64_t coarse_now(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	return (uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec;
}

static void print_totals(const char *site, long allocated, long kept)
{
	printf("%s %ld %ld %ld %ld\n", site, allocated, allocated * size, kept, kept * size);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	count = atol(argv[1]);
	size = atol(argv[2]);
	uint64_t start = coarse_now();
	old = site_old(count);
	long_lived = site_long_lived(count);
	uint64_t kept = coarse_now();
	site_short_lived();
	uint64_t short_lived = coarse_now();
	nanosleep(&(struct timespec){3, 500000000}, NULL);
	uint64_t awake = coarse_now();
	young = site_young(count);
	uint64_t freeing = coarse_now();
	for (long i = 0; i < count; i++)
		free(long_lived[i]);
	uint64_t freed = coarse_now();
	pthread_t threads[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, pool, (void *)i);
	for (long i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	fprintf(stderr,
		"times %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		start, kept, short_lived, awake, freeing, freed, coarse_now());
	print_totals("site_old", count, count);
	print_totals("site_long_lived", count, 0);
	print_totals("site_short_lived", count, 0);
	print_totals("site_young", count, count);
	print_totals("site_pooled", 3 * count, 3 * count);
	return 0;
}
