/* Known allocation sites for the accuracy study (tests/accuracy/accuracy.py).

   usage: sites [MIB_PER_SITE [SIZE|mixed ...]]

   Each site allocates MIB_PER_SITE MiB (default 256) in objects of one size (default
   48 B, 1 KiB, 16 KiB, 256 KiB, 1 MiB and 16 MiB), writes to each, and frees every
   other one as it goes, so half of each site is still live at exit, when the
   profilers write their profiles. "mixed" adds site_mixed: half its bytes in 48 B
   objects and half in 16 MiB ones, interleaved, from one call site (where unsampling
   by the site's average object size would be badly biased). Prints "site
   object_size objects kept" per site and size (site_mixed has two lines): the truth
   the sampled estimates are compared with.

   Built twice: `sites` (for heapprof and jemalloc, through LD_PRELOAD) and
   `sites_tcmalloc`, linked with gperftools' tcmalloc, which has no file output of its
   own: with ACCURACY_HEAP_SAMPLE=FILE it writes MallocExtension::GetHeapSample there
   before returning from main. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef WITH_TCMALLOC_DUMP
void tcmalloc_dump_heap_sample(const char *path);
#endif

static const size_t default_sizes[] = {48, 1024, 16384, 262144, 1048576, 16777216};

static void **live;
static size_t live_count;

static void keep_or_free(char *block, size_t i)
{
	if (!block) {
		perror("malloc");
		exit(2);
	}
	block[0] = 1;
	if (i % 2 == 0)
		live[live_count++] = block;
	else
		free(block);
}

static void churn(void *(*allocate)(size_t), size_t size, size_t site_bytes)
{
	size_t objects = site_bytes / size;
	for (size_t i = 0; i < objects; i++)
		keep_or_free(allocate(size), i);
	printf("site_%zu %zu %zu %zu\n", size, size, objects, (objects + 1) / 2);
}

/* One allocating function per size, so each is its own row in every profile. */
#define SITE(size)                                                       \
	__attribute__((noinline)) static void *site_##size(size_t bytes) \
	{                                                                \
		return malloc(bytes);                                    \
	}
SITE(48)
SITE(64)
SITE(1024)
SITE(4096)
SITE(16384)
SITE(65536)
SITE(262144)
SITE(1048576)
SITE(4194304)
SITE(16777216)

__attribute__((noinline)) static void *site_mixed(size_t bytes)
{
	return malloc(bytes);
}

#define MIXED_LARGE ((size_t)16 << 20)

static void churn_mixed(size_t site_bytes)
{
	size_t small = site_bytes / 2 / 48, large = site_bytes / 2 / MIXED_LARGE;
	size_t every = large ? small / large : small + 1, made = 0;
	for (size_t i = 0; i < small; i++) {
		keep_or_free(site_mixed(48), i);
		if ((i + 1) % every == 0 && made < large) {
			keep_or_free(site_mixed(MIXED_LARGE), made);
			made++;
		}
	}
	for (; made < large; made++)
		keep_or_free(site_mixed(MIXED_LARGE), made);
	printf("site_mixed 48 %zu %zu\n", small, (small + 1) / 2);
	printf("site_mixed %zu %zu %zu\n", MIXED_LARGE, large, (large + 1) / 2);
}

static void *(*site_for(size_t size))(size_t)
{
	switch (size) {
	case 48:
		return site_48;
	case 64:
		return site_64;
	case 1024:
		return site_1024;
	case 4096:
		return site_4096;
	case 16384:
		return site_16384;
	case 65536:
		return site_65536;
	case 262144:
		return site_262144;
	case 1048576:
		return site_1048576;
	case 4194304:
		return site_4194304;
	case 16777216:
		return site_16777216;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	size_t site_bytes = (size_t)(argc > 1 ? strtoull(argv[1], NULL, 10) : 256) << 20;
	size_t sizes[16], count = 0;
	int mixed = 0;
	if (argc > 2) {
		for (int i = 2; i < argc && count < 16; i++) {
			if (strcmp(argv[i], "mixed") == 0)
				mixed = 1;
			else
				sizes[count++] = strtoull(argv[i], NULL, 10);
		}
	} else {
		count = sizeof default_sizes / sizeof *default_sizes;
		memcpy(sizes, default_sizes, sizeof default_sizes);
	}
	size_t slots = 0;
	for (size_t i = 0; i < count; i++) {
		if (!site_for(sizes[i])) {
			fprintf(stderr, "sites: no site for size %zu\n", sizes[i]);
			return 2;
		}
		slots += (site_bytes / sizes[i] + 1) / 2;
	}
	if (mixed)
		slots += (site_bytes / 2 / 48 + 1) / 2 + (site_bytes / 2 / MIXED_LARGE + 1) / 2;
	live = calloc(slots + 1, sizeof *live);
	for (size_t i = 0; i < count; i++)
		churn(site_for(sizes[i]), sizes[i], site_bytes);
	if (mixed)
		churn_mixed(site_bytes);
	fflush(stdout);
#ifdef WITH_TCMALLOC_DUMP
	const char *path = getenv("ACCURACY_HEAP_SAMPLE");
	if (path)
		tcmalloc_dump_heap_sample(path);
#endif
	return 0;
}
