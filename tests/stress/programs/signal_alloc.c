/* A timer signal whose handler allocates and frees, firing while the main thread
   allocates: the handler often interrupts heapprof itself. The main thread runs until
   the handler has run SIGNALS times (or LIMIT seconds have passed), so the output is
   the same on every run. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum { SIGNALS = 3000, LIMIT = 120, HANDLER_BLOCKS = 64 };

static volatile sig_atomic_t handled;
static void *handler_blocks[HANDLER_BLOCKS];

/* SIGALRM is blocked while its handler runs, and only the main thread takes it. */
static void on_alarm(int signal)
{
	(void)signal;
	if (handled == SIGNALS)
		return;
	unsigned slot = (unsigned)handled % HANDLER_BLOCKS;
	free(handler_blocks[slot]);
	handler_blocks[slot] = malloc(100 + (size_t)handled % 5000);
	handled = handled + 1;
}

__attribute__((noinline)) static void main_work(void **kept, unsigned slot, size_t size)
{
	free(kept[slot]);
	kept[slot] = malloc(size);
}

int main(void)
{
	struct sigaction action = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	sigaction(SIGALRM, &action, NULL);
	struct itimerval timer = {{0, 200}, {0, 200}};
	setitimer(ITIMER_REAL, &timer, NULL);
	void *kept[256] = {0};
	time_t start = time(NULL);
	unsigned seed = 1;
	while (handled < SIGNALS && time(NULL) - start < LIMIT) {
		for (int i = 0; i < 1000; i++) {
			seed = seed * 1103515245 + 12345;
			main_work(kept, (seed >> 16) % 256, 16 + (seed >> 8) % 4000);
		}
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	for (int i = 0; i < 256; i++)
		free(kept[i]);
	printf("signals handled %d\n", (int)handled);
	return 0;
}
