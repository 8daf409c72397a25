/* Allocations made at a chosen stack depth: what capturing one sampled stack costs,
   by depth, with libunwind and with the frame-pointer walk (run.py unwind).

   usage: deep_stacks DEPTH ALLOCATIONS
     DEPTH        frames of recursion below main before allocating (1-1000)
     ALLOCATIONS  64-byte blocks allocated and freed at that depth

   Built with frame pointers, so HEAPPROF_UNWIND=fp can walk every frame; each level
   is a real call (not inlined, not a tail call). Prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t allocate_here(long allocations)
{
	uint64_t checksum = 0;
	for (long i = 0; i < allocations; i++) {
		unsigned char *block = malloc(64);
		if (!block) {
			fputs("deep_stacks: out of memory\n", stderr);
			exit(2);
		}
		block[0] = (unsigned char)i;
		checksum += block[0];
		free(block);
	}
	return checksum;
}

__attribute__((noinline)) static uint64_t descend(int levels, long allocations)
{
	uint64_t result = levels > 1 ? descend(levels - 1, allocations) : allocate_here(allocations);
	/* Work after the call keeps it from becoming a jump. */
	__asm__ volatile("" : "+r"(result));
	return result + 1;
}

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 10;
	long allocations = argc > 2 ? atol(argv[2]) : 1000000;
	if (argc > 3 || depth < 1 || depth > 1000 || allocations < 1) {
		fputs("usage: deep_stacks DEPTH(1-1000) ALLOCATIONS\n", stderr);
		return 1;
	}
	printf("%llu\n", (unsigned long long)descend(depth, allocations));
	return 0;
}
