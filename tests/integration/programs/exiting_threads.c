/* Threads that end while heapprof_read_stats sums the registry, as argv[1] says:

   late   a detached thread that never allocates ends after one with a stack larger
          than glibc's cache of stacks: trimming the cache on its way out, after its
          key destructors, it frees the dead thread's TLS. Then a thread given its
          stack allocates and reads the stats.

   stats  threads allocate and free without pause, starting and ending, while the
          initial thread reads the stats: every read has no more samples than
          allocations.

   timer  a SIGEV_THREAD timer fires 200 times: glibc's helper thread, which runs
          with the signals blocked that an ending thread blocks, allocates what each
          notification's thread frees; the stats count as many allocations as frees.

   Under heapprof only (the API is weak). Prints "ok" and exits 0; a registry that
   loops keeps it waiting, and the test's timeout says so. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heapprof.h"

#pragma weak heapprof_read_stats

/* Larger than glibc's whole cache of stacks (40 MiB): queued, it is trimmed at once. */
#define LARGE_STACK (48u << 20)

static void say(const char *text)
{
	if (write(1, text, strlen(text)) < 0)
		exit(2);
}

static void read_stats(void)
{
	struct heapprof_stats stats;
	if (heapprof_read_stats && heapprof_read_stats(&stats) != 0)
		say("heapprof_read_stats failed\n");
}

static void *allocate_and_read(void *argument)
{
	void *volatile block = malloc(64);
	free(block);
	if (argument)
		read_stats();
	return NULL;
}

static void *allocate_nothing(void *argument)
{
	return argument;
}

/* Field 20 of /proc/self/stat. */
static unsigned thread_count(void)
{
	char text[1024];
	int file = open("/proc/self/stat", O_RDONLY);
	ssize_t length = file < 0 ? -1 : read(file, text, sizeof text - 1);
	close(file);
	if (length <= 0)
		exit(2);
	text[length] = '\0';
	char *field = strrchr(text, ')');
	for (unsigned number = 2; field && number < 20; number++)
		field = strchr(field + 1, ' ');
	return field ? (unsigned)strtoul(field + 1, NULL, 10) : 0;
}

/* Runs a detached thread and waits until it is gone, its stack back in glibc's cache. */
static void run_detached(void *(*start)(void *), void *argument, size_t stack_size)
{
	pthread_attr_t attributes;
	pthread_attr_init(&attributes);
	pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	if (stack_size)
		pthread_attr_setstacksize(&attributes, stack_size);
	pthread_t thread;
	if (pthread_create(&thread, &attributes, start, argument) != 0)
		exit(2);
	pthread_attr_destroy(&attributes);
	while (thread_count() > 1)
		usleep(100);
}

#define STATS_THREADS 4
#define STATS_READS 200000

static atomic_bool stop;

static void *churn(void *argument)
{
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		void *volatile block = malloc(32);
		free(block);
	}
	return argument;
}

static bool stats_agree(void)
{
	pthread_t threads[STATS_THREADS];
	for (unsigned i = 0; i < STATS_THREADS; i++)
		pthread_create(&threads[i], NULL, churn, NULL);
	bool agree = true;
	for (unsigned i = 0; i < STATS_READS && agree; i++) {
		struct heapprof_stats stats;
		agree = heapprof_read_stats && heapprof_read_stats(&stats) == 0 &&
			stats.samples <= stats.total_alloc_objects;
	}
	atomic_store(&stop, true);
	for (unsigned i = 0; i < STATS_THREADS; i++)
		pthread_join(threads[i], NULL);
	return agree;
}

static void late(void)
{
	run_detached(allocate_and_read, NULL, LARGE_STACK);
	run_detached(allocate_nothing, NULL, 0);
	run_detached(allocate_and_read, "read", 0);
}

#define TIMER_FIRINGS 200

static atomic_uint firings;

static void on_timer(union sigval unused)
{
	(void)unused;
	atomic_fetch_add(&firings, 1);
}

/* Frees counted by the stats were allocated by counted threads too. */
static bool timer_counts_agree(void)
{
	struct sigevent event = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_timer};
	timer_t timer;
	struct itimerspec every_millisecond = {{0, 1000000}, {0, 1000000}};
	if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0 ||
	    timer_settime(timer, 0, &every_millisecond, NULL) != 0)
		return false;
	while (atomic_load(&firings) < TIMER_FIRINGS)
		usleep(1000);
	timer_delete(timer);
	usleep(100000);
	struct heapprof_stats stats;
	return heapprof_read_stats && heapprof_read_stats(&stats) == 0 &&
	       stats.total_free_objects <= stats.total_alloc_objects;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (strcmp(argv[1], "late") == 0) {
		late();
	} else if (strcmp(argv[1], "stats") == 0) {
		if (!stats_agree()) {
			say("more samples than allocations\n");
			return 1;
		}
	} else if (strcmp(argv[1], "timer") == 0) {
		if (!timer_counts_agree()) {
			say("more frees than allocations\n");
			return 1;
		}
	} else {
		return 2;
	}
	say("ok\n");
	return 0;
}
