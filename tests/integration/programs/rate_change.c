/* 64 MiB kept live while heapprof samples at its starting rate (512 KiB in the test),
   then heapprof_set_rate(1) and 16 more blocks from the same site, then all of it
   freed. Under heapprof, prints to stderr the in-use estimate heapprof_read_stats
   gives at each step and whether libunwind is mapped, and writes live.pb.gz while the
   blocks are still live. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_SIZE (16 * 1024)
#define BLOCKS 4096 /* 64 MiB */
#define BLOCKS_AT_RATE_ONE 16

struct heapprof_stats {
	unsigned long long total_alloc_bytes, total_alloc_objects, total_free_objects, inuse_bytes_estimate,
		inuse_objects_estimate, peak_inuse_bytes_estimate, samples, rate;
};
extern int heapprof_read_stats(struct heapprof_stats *stats) __attribute__((weak));
extern void heapprof_set_rate(size_t bytes) __attribute__((weak));
extern int heapprof_write_profile(const char *path) __attribute__((weak));

static char *blocks[BLOCKS + BLOCKS_AT_RATE_ONE];

/* Read without allocating: an allocation could be the sample that loads it. */
static int libunwind_mapped(void)
{
	static char maps[1 << 20];
	int fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0)
		return -1;
	size_t length = 0;
	ssize_t got;
	while (length < sizeof maps - 1 && (got = read(fd, maps + length, sizeof maps - 1 - length)) > 0)
		length += (size_t)got;
	close(fd);
	maps[length] = 0;
	return strstr(maps, "/libunwind.so") != NULL;
}

static void print_inuse(const char *when)
{
	struct heapprof_stats stats;
	int mapped = libunwind_mapped();
	if (heapprof_read_stats && heapprof_read_stats(&stats) == 0)
		fprintf(stderr, "inuse %s %llu\nlibunwind %s %d\n", when, stats.inuse_bytes_estimate, when,
			mapped);
}

__attribute__((noinline)) static char *live_block(void)
{
	return malloc(BLOCK_SIZE);
}

static void allocate(int from, int to)
{
	for (int i = from; i < to; i++) {
		blocks[i] = live_block();
		memset(blocks[i], i & 0xff, BLOCK_SIZE);
	}
}

int main(void)
{
	long sum = 0;
	/* One call site for both rates: the same stack. */
	for (int phase = 0; phase < 2; phase++) {
		allocate(phase ? BLOCKS : 0, phase ? BLOCKS + BLOCKS_AT_RATE_ONE : BLOCKS);
		if (phase == 0) {
			print_inuse("allocated");
			if (heapprof_set_rate)
				heapprof_set_rate(1);
			print_inuse("rate-changed");
		}
	}
	if (heapprof_write_profile)
		heapprof_write_profile("live.pb.gz");
	for (int i = 0; i < BLOCKS + BLOCKS_AT_RATE_ONE; i++) {
		sum += blocks[i][BLOCK_SIZE - 1];
		free(blocks[i]);
	}
	print_inuse("freed");
	printf("checksum %ld\n", sum);
	return 0;
}
