#include "write/ages.h"

#include <pthread.h>
#include <time.h>

#include "check.h"
#include "record/labels.h"

#define SECOND 1000000000ULL

static struct site *site_at(uintptr_t pc)
{
	uintptr_t stack[] = {pc, 0x500000};
	struct site *site = sites_record_alloc(stack, 2, 64, 1, NULL);
	CHECK(site);
	return site;
}

/* Counts a free as recorder_free does. */
static void count_free(struct live_block block, bool wait)
{
	sites_record_free(block.site, labels_age_bucket(block.born, labels_clock()), wait);
}

/* `count` blocks of `site` at `pointer` on, born `seconds` before now. */
static void live(struct site *site, uintptr_t pointer, int count, uint64_t seconds)
{
	uint64_t born = labels_clock() - seconds * SECOND - SECOND / 2;
	for (int i = 0; i < count; i++)
		live_insert((void *)(pointer + 64 * (uintptr_t)i), (struct live_block){site, born},
			    count_free, true);
}

static const struct aged_site *aged_of(const struct ages *ages, const struct site *site)
{
	for (size_t i = 0; i < ages->site_count; i++) {
		if (ages->sites[i].site == site)
			return &ages->sites[i];
	}
	CHECK_FAILED("site %p not read", (const void *)site);
}

static void check_parts(const struct age_part *parts, size_t count, const uint64_t (*expected)[2],
			size_t expected_count)
{
	CHECK(parts);
	CHECK_UINT(count, expected_count);
	for (size_t i = 0; i < count; i++) {
		CHECK_UINT(parts[i].bucket, expected[i][0]);
		CHECK_UINT(parts[i].count, expected[i][1]);
	}
}

/* In-use blocks by age, oldest first, then frees by lifetime, oldest first. */
static void test_parts(void)
{
	struct site *site = site_at(0x401000), *other = site_at(0x402000);
	live(site, 0x7f0000100000, 3, 0);
	live(site, 0x7f0000200000, 2, 9);
	live(site, 0x7f0000300000, 1, 11);
	live(other, 0x7f0000400000, 4, 700);
	sites_record_free(site, 3, true);
	sites_record_free(site, 640, true);
	sites_record_free(site, 3, true);
	struct ages ages = {0};
	CHECK(ages_take(&ages));
	CHECK_UINT(ages.block_count, 10);
	size_t age_parts, parts;
	const struct age_part *part = ages_of_site(&ages, aged_of(&ages, site), 6, 3, &age_parts, &parts);
	CHECK_UINT(age_parts, 3);
	check_parts(part, parts, (const uint64_t[][2]){{10, 1}, {8, 2}, {0, 3}, {640, 1}, {3, 2}}, 5);
	part = ages_of_site(&ages, aged_of(&ages, other), 4, 0, &age_parts, &parts);
	CHECK_UINT(age_parts, 1);
	check_parts(part, parts, (const uint64_t[][2]){{640, 4}}, 1);

	/* What the table lacks is 0 seconds old; what it has beyond the count was sampled
	   after the count was read, and is cut from the youngest; so are frees. */
	part = ages_of_site(&ages, aged_of(&ages, other), 6, 1, &age_parts, &parts);
	CHECK_UINT(age_parts, 2);
	check_parts(part, parts, (const uint64_t[][2]){{640, 4}, {0, 2}, {0, 1}}, 3);
	part = ages_of_site(&ages, aged_of(&ages, site), 2, 2, &age_parts, &parts);
	CHECK_UINT(age_parts, 2);
	check_parts(part, parts, (const uint64_t[][2]){{10, 1}, {8, 1}, {640, 1}, {3, 1}}, 4);
	part = ages_of_site(&ages, aged_of(&ages, site), 0, 0, &age_parts, &parts);
	CHECK_UINT(age_parts, 0);
	CHECK_UINT(parts, 0);
	ages_free(&ages);
}

#define YOUNG_LIVE 50
#define YOUNG_FREED 30
#define OLD_LIVE 20000
#define OLD_SECONDS 100
#define CHURN_PC 0x403000
#define OLD_POINTER 0x7f0001000000
#define YOUNG_POINTER 0x7f0002000000

/* `count` allocations of the churn site, counted as the recorder counts them. */
static struct site *allocate(uintptr_t pointer, int count, uint64_t seconds)
{
	uintptr_t stack[] = {CHURN_PC, 0x500000};
	struct site *site = NULL;
	for (int i = 0; i < count; i++)
		site = sites_record_alloc(stack, 2, 64, 1, NULL);
	CHECK(site);
	live(site, pointer, count, seconds);
	return site;
}

/* An LRU cache evicting its oldest entries, as recorder_free counts each. */
static void *evict_oldest(void *done)
{
	for (uintptr_t i = 0; i < OLD_LIVE; i++) {
		/* No site when queued behind a profile that took the lock: counted then. */
		struct live_block block = live_remove((void *)(OLD_POINTER + 64 * i), count_free, true);
		if (block.site)
			count_free(block, true);
		if (i % 8 == 0)
			nanosleep(&(struct timespec){0, 10000}, NULL);
	}
	atomic_store(&*(_Atomic bool *)done, true);
	return NULL;
}

/* Blocks of the parts far younger than the old ones (the test may run for seconds). */
static uint64_t young(const struct age_part *parts, size_t first, size_t end)
{
	uint64_t count = 0;
	for (size_t i = first; i < end; i++)
		count += parts[i].bucket < OLD_SECONDS / 2 ? parts[i].count : 0;
	return count;
}

/* Old memory freed while a profile is taken never lends its age to young memory: the
   young blocks and the young frees are at least as many in every profile as there are. */
static void test_old_freed_meanwhile(void)
{
	struct site *site = allocate(YOUNG_POINTER, YOUNG_LIVE + YOUNG_FREED, 0);
	for (uintptr_t i = 0; i < YOUNG_FREED; i++) {
		CHECK(live_remove((void *)(YOUNG_POINTER + 64 * (YOUNG_LIVE + i)), count_free, true).site ==
		      site);
		sites_record_free(site, 0, true);
	}
	allocate(OLD_POINTER, OLD_LIVE, OLD_SECONDS);
	_Atomic bool done = false;
	pthread_t evictor;
	CHECK(pthread_create(&evictor, NULL, evict_oldest, &done) == 0);
	while (!atomic_load(&done)) {
		struct ages ages = {0};
		CHECK(ages_take(&ages));
		const struct aged_site *aged = aged_of(&ages, site);
		uint64_t freed = aged->frees < aged->allocs ? aged->frees : aged->allocs;
		size_t age_parts, parts;
		const struct age_part *part =
			ages_of_site(&ages, aged, aged->allocs - freed, freed, &age_parts, &parts);
		CHECK(part);
		CHECK(young(part, 0, age_parts) >= YOUNG_LIVE);
		CHECK(young(part, age_parts, parts) >= YOUNG_FREED);
		ages_free(&ages);
	}
	CHECK(pthread_join(evictor, NULL) == 0);
}

int main(void)
{
	live_start(count_free);
	test_parts();
	test_old_freed_meanwhile();
	puts("ages: ok");
	return 0;
}
