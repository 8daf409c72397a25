/* A library that allocates and frees, copied under many names and loaded by
   dlopen_many. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void *loaded_block(size_t size)
{
	void *block = malloc(size);
	memset(block, 1, size);
	return block;
}

long loaded_work(void)
{
	void *blocks[64];
	long sum = 0;
	for (int i = 0; i < 64; i++) {
		blocks[i] = loaded_block(16384);
		sum += ((unsigned char *)blocks[i])[i];
	}
	for (int i = 0; i < 64; i++)
		free(blocks[i]);
	return sum;
}
