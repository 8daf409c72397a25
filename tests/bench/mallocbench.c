/* A malloc-heavy workload: each thread keeps a live set of blocks and replaces a
   random one per operation, so allocations and frees interleave as in real programs
   rather than in tight pairs.

   usage: mallocbench [THREADS [OPERATIONS [SEED]]]
     THREADS     worker threads, each with its own live set (default 1)
     OPERATIONS  allocations over all threads, split evenly (default 20000000)
     SEED        size and slot sequence (default 1)

   Sizes: 60% 16-128 B, 30% 128 B-1 KiB, 10% 1-4 KiB (log-uniform in each band),
   plus one in a thousand 64 KiB-1 MiB, which glibc serves with mmap. One allocation
   in eight is a calloc and one replacement in sixteen a realloc of the old block.
   The first and last byte of every block are written and read back, so pages are
   touched and the allocator cannot be bypassed.

   Prints one checksum, which depends only on the arguments: a run under a preload
   that prints something else was broken by it. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS_PER_THREAD 20000
#define LARGE_PER_MILLION 1000

struct worker {
	pthread_t thread;
	unsigned index;
	long operations;
	uint64_t seed;
	uint64_t checksum;
};

/* xorshift64*: the same sequence everywhere, independent of the allocator. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static size_t pick_size(uint64_t *state)
{
	uint64_t r = next_random(state);
	if (r % 1000000 < LARGE_PER_MILLION)
		return ((size_t)64 << 10) + (size_t)((r >> 20) % ((1 << 20) - (64 << 10)));
	unsigned band = (unsigned)((r >> 24) % 100);
	unsigned low_shift, high_shift;
	if (band < 60) {
		low_shift = 4, high_shift = 7;
	} else if (band < 90) {
		low_shift = 7, high_shift = 10;
	} else {
		low_shift = 10, high_shift = 12;
	}
	unsigned shift = low_shift + (unsigned)((r >> 32) % (high_shift - low_shift));
	size_t base = (size_t)1 << shift;
	return base + (size_t)((r >> 40) % base);
}

static void *run_worker(void *argument)
{
	struct worker *worker = argument;
	uint64_t state = worker->seed * 0x9e3779b97f4a7c15ULL + worker->index + 1;
	unsigned char **blocks = calloc(SLOTS_PER_THREAD, sizeof *blocks);
	size_t *sizes = calloc(SLOTS_PER_THREAD, sizeof *sizes);
	if (!blocks || !sizes) {
		fputs("mallocbench: out of memory\n", stderr);
		exit(2);
	}
	uint64_t checksum = 0;
	for (long i = 0; i < worker->operations; i++) {
		uint64_t r = next_random(&state);
		size_t slot = (size_t)(r % SLOTS_PER_THREAD);
		size_t size = pick_size(&state);
		unsigned char *block = blocks[slot];
		unsigned kind = (unsigned)((r >> 40) & 15);
		if (block)
			checksum += block[0] + block[sizes[slot] - 1];
		if (block && kind == 0) {
			block = realloc(block, size);
		} else {
			free(block);
			block = kind < 3 ? calloc(1, size) : malloc(size);
		}
		if (!block) {
			fputs("mallocbench: out of memory\n", stderr);
			exit(2);
		}
		block[0] = (unsigned char)i;
		block[size - 1] = (unsigned char)(i >> 3);
		blocks[slot] = block;
		sizes[slot] = size;
		checksum += size;
	}
	for (size_t slot = 0; slot < SLOTS_PER_THREAD; slot++)
		free(blocks[slot]);
	free(blocks);
	free(sizes);
	worker->checksum = checksum;
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = argc > 1 ? atol(argv[1]) : 1;
	long operations = argc > 2 ? atol(argv[2]) : 20000000;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	if (argc > 4 || threads < 1 || threads > 64 || operations < 1) {
		fputs("usage: mallocbench [THREADS(1-64) [OPERATIONS [SEED]]]\n", stderr);
		return 1;
	}
	struct worker workers[64];
	for (long i = 0; i < threads; i++) {
		workers[i] = (struct worker){
			.index = (unsigned)i, .operations = operations / threads, .seed = seed};
		/* One thread runs on main, so the single-threaded case has no thread at all. */
		if (threads > 1 && pthread_create(&workers[i].thread, NULL, run_worker, &workers[i]) != 0) {
			fputs("mallocbench: cannot create a thread\n", stderr);
			return 2;
		}
	}
	if (threads == 1)
		run_worker(&workers[0]);
	uint64_t checksum = 0;
	for (long i = 0; i < threads; i++) {
		if (threads > 1)
			pthread_join(workers[i].thread, NULL);
		checksum = checksum * 31 + workers[i].checksum;
	}
	printf("%llu\n", (unsigned long long)checksum);
	return 0;
}
