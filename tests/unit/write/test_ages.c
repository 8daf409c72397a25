#include "write/ages.h"

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

/* `count` blocks of `site` at `pointer` on, born `seconds` before now. */
static void live(struct site *site, uintptr_t pointer, int count, uint64_t seconds)
{
	uint64_t born = labels_clock() - seconds * SECOND - SECOND / 2;
	struct live_block replaced;
	for (int i = 0; i < count; i++)
		CHECK(live_insert((void *)(pointer + 64 * (uintptr_t)i), (struct live_block){site, born},
				  &replaced));
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
	struct ages ages;
	CHECK(ages_take(&ages));
	CHECK_UINT(ages.block_count, 10);
	size_t age_parts, parts;
	const struct age_part *part = ages_of_site(&ages, site, 6, 3, &age_parts, &parts);
	CHECK_UINT(age_parts, 3);
	check_parts(part, parts, (const uint64_t[][2]){{10, 1}, {8, 2}, {0, 3}, {640, 1}, {3, 2}}, 5);
	part = ages_of_site(&ages, other, 4, 0, &age_parts, &parts);
	CHECK_UINT(age_parts, 1);
	check_parts(part, parts, (const uint64_t[][2]){{640, 4}}, 1);

	/* What the table lacks is 0 seconds old; what it has too many of is cut from the
	   youngest; so are frees. */
	part = ages_of_site(&ages, other, 6, 1, &age_parts, &parts);
	CHECK_UINT(age_parts, 2);
	check_parts(part, parts, (const uint64_t[][2]){{640, 4}, {0, 2}, {0, 1}}, 3);
	part = ages_of_site(&ages, site, 2, 2, &age_parts, &parts);
	CHECK_UINT(age_parts, 2);
	check_parts(part, parts, (const uint64_t[][2]){{10, 1}, {8, 1}, {640, 1}, {3, 1}}, 4);
	part = ages_of_site(&ages, site, 0, 0, &age_parts, &parts);
	CHECK_UINT(age_parts, 0);
	CHECK_UINT(parts, 0);
	ages_free(&ages);
}

int main(void)
{
	test_parts();
	puts("ages: ok");
	return 0;
}
