/* Sites that allocate known totals in objects of one size each, from 48 B to 16 MiB,
   keeping half of them live: what sampled estimates are checked against. Prints
   "site object_size objects kept". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SITE_BYTES ((size_t)128 << 20)

static void **live;
static size_t live_count;

static void churn(void *(*allocate)(size_t), size_t size, const char *name)
{
	size_t objects = SITE_BYTES / size;
	for (size_t i = 0; i < objects; i++) {
		char *block = allocate(size);
		block[0] = 1;
		if (i % 2 == 0)
			live[live_count++] = block;
		else
			free(block);
	}
	printf("%s %zu %zu %zu\n", name, size, objects, (objects + 1) / 2);
}

/* One allocating function per size, so each is its own row in the profile. */
#define SITE(size)                                                       \
	__attribute__((noinline)) static void *site_##size(size_t bytes) \
	{                                                                \
		return malloc(bytes);                                    \
	}
SITE(48)
SITE(1024)
SITE(16384)
SITE(262144)
SITE(1048576)
SITE(16777216)

int main(void)
{
	live = calloc(SITE_BYTES / 48, sizeof *live);
	churn(site_48, 48, "site_48");
	churn(site_1024, 1024, "site_1024");
	churn(site_16384, 16384, "site_16384");
	churn(site_262144, 262144, "site_262144");
	churn(site_1048576, 1048576, "site_1048576");
	churn(site_16777216, 16777216, "site_16777216");
	return 0;
}
