/* The heap peaks inside build_peak, which frees everything before returning; what is
   live at exit comes from elsewhere and is much smaller. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *small_kept[100];

__attribute__((noinline)) static void build_peak(void)
{
	enum { BLOCKS = 400 };
	static void *blocks[BLOCKS];
	for (int i = 0; i < BLOCKS; i++) {
		blocks[i] = malloc(256 * 1024);
		memset(blocks[i], 1, 64);
	}
	for (int i = 0; i < BLOCKS; i++)
		free(blocks[i]);
}

__attribute__((noinline)) static void keep_a_little(void)
{
	for (int i = 0; i < 100; i++)
		small_kept[i] = malloc(64 * 1024);
}

int main(void)
{
	keep_a_little();
	build_peak();
	printf("peak of 100 MiB built and freed\n");
	return 0;
}
