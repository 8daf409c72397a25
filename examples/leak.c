/* A program that leaks slowly beside a steady working set, for heapprof report:
   a log of requests that is never trimmed (one site, growing for good), and a
   cache of fixed size whose entries are replaced all the time (another site,
   as large but flat, its memory always young).

       HEAPPROF_OUT=leak.%n.pb.gz HEAPPROF_DUMP_PERIOD=1 LD_PRELOAD=libheapprof.so ./leak 10
       heapprof report leak.*.pb.gz -o report.html

   The argument is how long to run, in seconds (default 60). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	CACHE_SLOTS = 4096,
	CACHE_ENTRY_SIZE = 1024, /* a 4 MiB cache */
	REPLACED_PER_TICK = 64,  /* each entry lives about 64 ticks */
	LOGGED_PER_TICK = 1,     /* 256 bytes a tick: 250 KiB a second leak */
	LOG_ENTRY_SIZE = 256,
	TICK_NANOSECONDS = 1000000,
};

struct log_entry {
	struct log_entry *next;
	char text[LOG_ENTRY_SIZE - sizeof(struct log_entry *)];
};

static struct log_entry *request_log;
static char *cache[CACHE_SLOTS];

/* The leak: every request is logged, and the log is never trimmed. */
static __attribute__((noinline)) void log_request(unsigned number)
{
	struct log_entry *entry = malloc(sizeof *entry);
	if (!entry)
		return;
	memset(entry->text, 'a' + (int)(number % 26), sizeof entry->text);
	entry->next = request_log;
	request_log = entry;
}

/* The working set: a slot's entry is freed and replaced by a new one. */
static __attribute__((noinline)) void refill_cache_slot(unsigned slot)
{
	free(cache[slot]);
	cache[slot] = malloc(CACHE_ENTRY_SIZE);
	if (cache[slot])
		memset(cache[slot], (int)slot, CACHE_ENTRY_SIZE);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	double duration = argc > 1 ? atof(argv[1]) : 60;
	unsigned seed = 1, requests = 0;
	for (unsigned slot = 0; slot < CACHE_SLOTS; slot++)
		refill_cache_slot(slot);
	struct timespec start, tick = {0, TICK_NANOSECONDS};
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (seconds_since(&start) < duration) {
		for (int i = 0; i < REPLACED_PER_TICK; i++)
			refill_cache_slot(rand_r(&seed) % CACHE_SLOTS);
		for (int i = 0; i < LOGGED_PER_TICK; i++)
			log_request(requests++);
		nanosleep(&tick, NULL);
	}
	return 0;
}
