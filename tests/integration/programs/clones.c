/* A function GCC clones at -O2 for the constant its one caller passes: its code is
   build_peak.constprop.0, which pprof, reading DWARF, names build_peak. Prints the
   totals build_peak must show in a profile recorded at rate 1: "site alloc_objects
   alloc_space inuse_objects inuse_space". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCKS 1000

static char *blocks[BLOCKS];

static __attribute__((noinline)) void build_peak(size_t size)
{
	for (int i = 0; i < BLOCKS; i++) {
		blocks[i] = malloc(size);
		memset(blocks[i], i, size);
	}
}

int main(void)
{
	const size_t size = 4096;
	build_peak(size);
	for (int i = BLOCKS / 2; i < BLOCKS; i++)
		free(blocks[i]);
	printf("build_peak %d %zu %d %zu\n", BLOCKS, BLOCKS * size, BLOCKS / 2, BLOCKS / 2 * size);
	return 0;
}
