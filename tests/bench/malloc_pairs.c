/* The fast path alone: PAIRS tight malloc+free pairs of small sizes, which glibc
   serves from its per-thread cache, so an interposer's per-call cost is a large
   share of the total. Run under callgrind with two pair counts: the difference in
   instructions divided by the difference in pairs is the cost of one pair, without
   start-up and exit.

   usage: malloc_pairs PAIRS */
#include <stdio.h>
#include <stdlib.h>

/* Cycling through a few sizes keeps several tcache bins in use, as a program would. */
static const size_t sizes[8] = {16, 24, 32, 48, 64, 96, 128, 256};

int main(int argc, char **argv)
{
	long pairs = argc == 2 ? atol(argv[1]) : -1;
	if (pairs < 0) {
		fputs("usage: malloc_pairs PAIRS\n", stderr);
		return 1;
	}
	for (long i = 0; i < pairs; i++) {
		void *block = malloc(sizes[i & 7]);
		/* The compiler may delete a malloc whose block is never used: make it escape. */
		__asm__ volatile("" : : "r"(block) : "memory");
		free(block);
	}
	printf("%ld\n", pairs);
	return 0;
}
