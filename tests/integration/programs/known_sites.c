/* Allocation sites with known counts and sizes, from 48 B to 16 MiB, some blocks
   kept and some freed. Prints the exact totals each site must show in a profile
   recorded at rate 1: "site alloc_objects alloc_space inuse_objects inuse_space". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct totals {
	const char *site;
	long alloc_objects, alloc_space, inuse_objects, inuse_space;
};

static struct totals totals[16];
static int site_count;
static void *kept[100000];
static int kept_count;

static void account(const char *site, long objects, long size, long freed)
{
	totals[site_count++] =
		(struct totals){site, objects, objects * size, objects - freed, (objects - freed) * size};
}

static void *blocks[10000];

/* Frees the first `freed` of `count` fresh blocks and keeps the rest live. */
static void release(long count, long freed)
{
	for (long i = 0; i < count; i++) {
		memset(blocks[i], 1, 16);
		if (i < freed)
			free(blocks[i]);
		else
			kept[kept_count++] = blocks[i];
	}
}

/* Each site is its own function, so the profile attributes it by name. */
#define SITE(name, count, size, freed, allocation)        \
	__attribute__((noinline)) static void name(void)  \
	{                                                 \
		for (long i = 0; i < (count); i++)        \
			blocks[i] = (allocation);         \
		release((count), (freed));                \
		account(#name, (count), (size), (freed)); \
	}

SITE(site_small, 10000, 48, 4000, malloc(48))
SITE(site_zeroed, 2000, 1024, 1500, calloc(1, 1024))
SITE(site_aligned, 300, 8192, 200, ({
	     void *block = NULL;
	     posix_memalign(&block, 4096, 8192) ? NULL : block;
     }))
SITE(site_megabyte, 20, 1 << 20, 10, malloc(1 << 20))
SITE(site_huge, 3, 16 << 20, 1, malloc(16 << 20))

/* realloc is a free of the old block plus an allocation of the new one. */
__attribute__((noinline)) static void site_realloc(void)
{
	for (int i = 0; i < 500; i++) {
		char *block = malloc(100);
		block = realloc(block, 200);
		kept[kept_count++] = block;
	}
	totals[site_count++] = (struct totals){"site_realloc", 1000, 500 * 100 + 500 * 200, 500, 500 * 200};
}

/* An allocation wrapper, as most programs have: its call to malloc is the last
   instruction of its line, so the return address belongs to the next line. */
__attribute__((noinline)) static void *allocate(size_t size)
{
	return malloc(size);
}

__attribute__((noinline)) static void site_wrapped(void)
{
	for (int i = 0; i < 100; i++)
		kept[kept_count++] = allocate(512);
	totals[site_count++] = (struct totals){"allocate", 100, 100 * 512, 100, 100 * 512};
}

int main(void)
{
	site_small();
	site_zeroed();
	site_aligned();
	site_megabyte();
	site_huge();
	site_realloc();
	site_wrapped();
	for (int i = 0; i < site_count; i++)
		printf("%s %ld %ld %ld %ld\n", totals[i].site, totals[i].alloc_objects, totals[i].alloc_space,
		       totals[i].inuse_objects, totals[i].inuse_space);
	return 0;
}
