/* A library that allocates, loaded and unloaded at run time by plugin_host. */
#include <stdlib.h>
#include <string.h>

static void *blocks[400];

__attribute__((noinline)) static void *plugin_block(size_t size)
{
	void *block = malloc(size);
	memset(block, 3, size);
	return block;
}

long plugin_allocate(void)
{
	long sum = 0;
	for (int i = 0; i < 400; i++) {
		blocks[i] = plugin_block(4096);
		sum += ((unsigned char *)blocks[i])[10];
	}
	/* Half stays live after the library is gone: the profile must still name it. */
	for (int i = 0; i < 400; i += 2)
		free(blocks[i]);
	return sum;
}
