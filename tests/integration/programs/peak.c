/* The heap peaks inside build_peak, which frees everything before returning; what is
   live at exit comes from elsewhere and is much smaller. Prints the block sizes and
   counts of both sites: "site objects size". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SMALL_BLOCKS = 100, SMALL_SIZE = 64 * 1024, PEAK_BLOCKS = 400, PEAK_SIZE = 256 * 1024 };

static void *small_kept[SMALL_BLOCKS];

__attribute__((noinline)) static void build_peak(void)
{
	static void *blocks[PEAK_BLOCKS];
	for (int i = 0; i < PEAK_BLOCKS; i++) {
		blocks[i] = malloc(PEAK_SIZE);
		memset(blocks[i], 1, 64);
	}
	for (int i = 0; i < PEAK_BLOCKS; i++)
		free(blocks[i]);
}

__attribute__((noinline)) static void keep_a_little(void)
{
	for (int i = 0; i < SMALL_BLOCKS; i++)
		small_kept[i] = malloc(SMALL_SIZE);
}

int main(void)
{
	keep_a_little();
	build_peak();
	printf("keep_a_little %d %d\nbuild_peak %d %d\n", SMALL_BLOCKS, SMALL_SIZE, PEAK_BLOCKS, PEAK_SIZE);
	return 0;
}
