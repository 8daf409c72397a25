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
   that prints something else was broken by it.

   With MALLOCBENCH_GAPS=FILE in the environment, each thread also reads the clock
   every 16 operations and FILE gets a line "THREAD START_NS LENGTH_NS WAITED"
   (CLOCK_MONOTONIC) for every interval of 100 us or more between two readings: the
   moments a thread made no progress (run.py scrape). WAITED is 1 when the thread gave
   up the processor itself within the interval (a voluntary context switch: it waited,
   for a lock say), 0 when it was only preempted. For that each reading also asks the
   kernel for the thread's count of such switches, a system call per 16 operations. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define SLOTS_PER_THREAD 20000
#define LARGE_PER_MILLION 1000
#define GAP_CHECK_EVERY 16
#define GAP_REPORTED_NANOS 100000
#define GAPS_KEPT 100000

struct gap {
	int64_t start, length;
	int waited;
};

struct worker {
	pthread_t thread;
	unsigned index;
	long operations;
	uint64_t seed;
	uint64_t checksum;
	struct gap *gaps; /* NULL unless MALLOCBENCH_GAPS is set */
	size_t gap_count;
	long voluntary_switches; /* at the last reading */
};

static int64_t monotonic_nanos(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Called every GAP_CHECK_EVERY operations: notes a long interval since the last call. */
static void note_gap(struct worker *worker, int64_t *last)
{
	int64_t now = monotonic_nanos();
	struct rusage usage;
	getrusage(RUSAGE_THREAD, &usage);
	if (now - *last >= GAP_REPORTED_NANOS && worker->gap_count < GAPS_KEPT) {
		bool waited = usage.ru_nvcsw > worker->voluntary_switches;
		worker->gaps[worker->gap_count++] = (struct gap){*last, now - *last, waited};
	}
	worker->voluntary_switches = usage.ru_nvcsw;
	*last = monotonic_nanos();
}

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
	int64_t last = worker->gaps ? monotonic_nanos() : 0;
	struct rusage usage;
	if (worker->gaps && getrusage(RUSAGE_THREAD, &usage) == 0)
		worker->voluntary_switches = usage.ru_nvcsw;
	for (long i = 0; i < worker->operations; i++) {
		if (worker->gaps && i % GAP_CHECK_EVERY == 0)
			note_gap(worker, &last);
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

/* Writes every thread's gaps to `path`. */
static void write_gaps(const char *path, const struct worker *workers, long threads)
{
	FILE *out = fopen(path, "w");
	if (!out) {
		perror(path);
		exit(2);
	}
	for (long i = 0; i < threads; i++) {
		for (size_t j = 0; j < workers[i].gap_count; j++)
			fprintf(out, "%ld %lld %lld %d\n", i, (long long)workers[i].gaps[j].start,
				(long long)workers[i].gaps[j].length, workers[i].gaps[j].waited);
	}
	fclose(out);
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
	const char *gaps_path = getenv("MALLOCBENCH_GAPS");
	for (long i = 0; i < threads; i++) {
		workers[i] = (struct worker){
			.index = (unsigned)i, .operations = operations / threads, .seed = seed};
		if (gaps_path && !(workers[i].gaps = malloc(GAPS_KEPT * sizeof(struct gap)))) {
			fputs("mallocbench: out of memory\n", stderr);
			return 2;
		}
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
	if (gaps_path)
		write_gaps(gaps_path, workers, threads);
	printf("%llu\n", (unsigned long long)checksum);
	return 0;
}
