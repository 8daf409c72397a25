/* THREADS threads each allocate OPERATIONS blocks of mixed sizes and swap them through
   a shared table, so most frees happen on another thread than the allocation. Every
   block is freed by the end. Prints the exact totals of the site churn_block, the same
   on every run: "site alloc_objects alloc_space inuse_objects inuse_space". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096

static _Atomic(char *) slots[SLOTS];
static long operations;
static _Atomic long allocated_bytes;

__attribute__((noinline)) static char *churn_block(size_t size)
{
	char *block = malloc(size);
	block[0] = (char)size;
	return block;
}

static void *worker(void *argument)
{
	unsigned seed = (unsigned)(long)argument * 2654435761u;
	long bytes = 0;
	for (long done = 0; done < operations; done++) {
		seed = seed * 1103515245 + 12345;
		size_t size = 16 + seed % 2000;
		bytes += (long)size;
		free(atomic_exchange(&slots[(seed >> 8) % SLOTS], churn_block(size)));
	}
	atomic_fetch_add(&allocated_bytes, bytes);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 64;
	operations = argc > 2 ? atol(argv[2]) : 100000;
	pthread_t *ids = calloc((size_t)threads, sizeof *ids);
	for (long i = 0; i < threads; i++)
		pthread_create(&ids[i], NULL, worker, (void *)i);
	for (int i = 0; i < threads; i++)
		pthread_join(ids[i], NULL);
	for (int i = 0; i < SLOTS; i++)
		free(slots[i]);
	free(ids);
	printf("churn_block %ld %ld 0 0\n", threads * operations, atomic_load(&allocated_bytes));
	return 0;
}
