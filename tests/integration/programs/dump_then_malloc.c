/* 400 times: a profile written through heapprof_write_profile (which allocates, as
   heapprof, on this thread), then one malloc(16) of the program's own. One block of
   1 MiB, sampled almost surely at the test's rate, gives every profile a sample in
   main whatever the 16-byte site's few samples come to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 400

extern int heapprof_write_profile(const char *path) __attribute__((weak));

static char *kept[ROUNDS];

__attribute__((noinline)) static char *after_dump(void)
{
	return malloc(16);
}

int main(void)
{
	static char *volatile anchor;
	anchor = malloc(1 << 20);
	memset(anchor, 1, 1 << 20);
	long sum = anchor[4095];
	for (int i = 0; i < ROUNDS; i++) {
		if (heapprof_write_profile)
			heapprof_write_profile("during.pb.gz");
		kept[i] = after_dump();
		memset(kept[i], i & 0xff, 16);
		sum += kept[i][15];
	}
	printf("checksum %ld\n", sum);
	return 0;
}
