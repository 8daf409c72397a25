/* THREADS threads allocate blocks of mixed sizes and swap them through a shared table,
   so most frees happen on another thread than the allocation, for SECONDS seconds. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 4096

static _Atomic(char *) slots[SLOTS];
static atomic_bool stop;
static _Atomic long operations;

__attribute__((noinline)) static char *churn_block(unsigned seed)
{
	size_t size = 16 + seed % 2000;
	char *block = malloc(size);
	block[0] = (char)size;
	return block;
}

static void *worker(void *argument)
{
	unsigned seed = (unsigned)(long)argument * 2654435761u;
	long done = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		seed = seed * 1103515245 + 12345;
		char *old = atomic_exchange(&slots[(seed >> 8) % SLOTS], churn_block(seed));
		free(old);
		done++;
	}
	atomic_fetch_add(&operations, done);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 64;
	int seconds = argc > 2 ? atoi(argv[2]) : 10;
	pthread_t *ids = calloc((size_t)threads, sizeof *ids);
	for (long i = 0; i < threads; i++)
		pthread_create(&ids[i], NULL, worker, (void *)i);
	struct timespec pause = {seconds, 0};
	nanosleep(&pause, NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < threads; i++)
		pthread_join(ids[i], NULL);
	for (int i = 0; i < SLOTS; i++)
		free(slots[i]);
	free(ids);
	printf("threads %d done, operations > 0: %d\n", threads, atomic_load(&operations) > 0);
	return 0;
}
