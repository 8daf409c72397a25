/* A service whose allocations are known at every moment, for a collector to scrape.
   Ten times a second, at each tenth of a second of the wall clock, it makes one burst:
     leak_work   allocates 2 blocks of 4096 bytes and keeps them;
     churn_work  allocates and frees 20 blocks of 1000 bytes, one at a time;
     ring_work   allocates 5 blocks of 2048 bytes into a ring of 50, freeing first the
                 5 oldest once the ring is full.
   Between bursts, then, what each site has allocated and holds follows from the number
   of bursts made. Each burst's start and end (CLOCK_REALTIME, as profiles tell time)
   go to the file named by argv[1], shared, with the count of bursts ended: a reader
   can tell which bursts a profile taken at a given moment saw. Runs until stdin closes,
   then prints "N bursts". */
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_BURSTS 4096
#define PERIOD_NANOS 100000000
#define RING 50

/* The file's layout, read by tests/serve/test_fleet.py. */
struct truth {
	uint64_t bursts;              /* ended; the times of each are written first */
	int64_t times[MAX_BURSTS][2]; /* start, end */
};

static struct truth *truth;
static void *ring[RING];
static unsigned ring_next;

static int64_t now_nanos(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

__attribute__((noinline)) static void leak_work(void)
{
	for (int i = 0; i < 2; i++)
		memset(malloc(4096), 1, 4096);
}

__attribute__((noinline)) static void churn_work(void)
{
	for (int i = 0; i < 20; i++) {
		char *block = malloc(1000);
		memset(block, 1, 1000);
		free(block);
	}
}

__attribute__((noinline)) static void ring_work(void)
{
	for (int i = 0; i < 5; i++) {
		free(ring[(ring_next + i) % RING]);
		ring[(ring_next + i) % RING] = NULL;
	}
	for (int i = 0; i < 5; i++) {
		ring[ring_next] = malloc(2048);
		memset(ring[ring_next], 1, 2048);
		ring_next = (ring_next + 1) % RING;
	}
}

static void burst(uint64_t index)
{
	truth->times[index][0] = now_nanos();
	leak_work();
	churn_work();
	ring_work();
	truth->times[index][1] = now_nanos();
	__atomic_store_n(&truth->bursts, index + 1, __ATOMIC_RELEASE);
}

/* Waits for the wall clock to reach `deadline`; false when stdin has closed. */
static bool wait_until(int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_nanos();
		if (left <= 0)
			return true;
		struct pollfd input = {.fd = 0, .events = POLLIN};
		if (poll(&input, 1, (int)((left + 999999) / 1000000)) > 0) {
			char buffer[256];
			if (read(0, buffer, sizeof buffer) <= 0)
				return false;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, sizeof *truth) != 0)
		return 2;
	truth = mmap(NULL, sizeof *truth, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (truth == MAP_FAILED)
		return 2;
	uint64_t made = 0;
	int64_t next = (now_nanos() / PERIOD_NANOS + 1) * PERIOD_NANOS;
	while (made < MAX_BURSTS && wait_until(next)) {
		burst(made++);
		while (next <= now_nanos())
			next += PERIOD_NANOS;
	}
	printf("%llu bursts\n", (unsigned long long)made);
	return 0;
}
