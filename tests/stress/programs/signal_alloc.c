/* A timer signal whose handler allocates and frees, firing while the main thread
   allocates: the handler often interrupts heapprof itself. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static _Atomic long handled;
static void *handler_blocks[64];

static void on_alarm(int signal)
{
	(void)signal;
	long count = atomic_fetch_add(&handled, 1);
	unsigned slot = (unsigned)count % 64;
	free(handler_blocks[slot]);
	handler_blocks[slot] = malloc(100 + (size_t)count % 5000);
}

__attribute__((noinline)) static void main_work(void **kept, unsigned slot, size_t size)
{
	free(kept[slot]);
	kept[slot] = malloc(size);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	struct sigaction action = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	sigaction(SIGALRM, &action, NULL);
	struct itimerval timer = {{0, 200}, {0, 200}};
	setitimer(ITIMER_REAL, &timer, NULL);
	void *kept[256] = {0};
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	unsigned seed = 1;
	do {
		for (int i = 0; i < 1000; i++) {
			seed = seed * 1103515245 + 12345;
			main_work(kept, (seed >> 16) % 256, 16 + (seed >> 8) % 4000);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	for (int i = 0; i < 256; i++)
		free(kept[i]);
	printf("signals handled > 100: %d\n", atomic_load(&handled) > 100);
	return 0;
}
