/* Many threads allocate from one site and free each other's blocks. Prints a
   checksum and the exact totals of the site thread_work at rate 1. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 16
#define BLOCKS 20000
#define BLOCK_SIZE 96

static char *blocks[THREADS][BLOCKS];
static pthread_barrier_t barrier;

__attribute__((noinline)) static void thread_work(int index)
{
	for (int i = 0; i < BLOCKS; i++) {
		blocks[index][i] = malloc(BLOCK_SIZE);
		memset(blocks[index][i], index, BLOCK_SIZE);
	}
}

/* Frees the even blocks of the next thread: every free crosses threads. */
static void *thread_main(void *argument)
{
	int index = (int)(long)argument;
	thread_work(index);
	pthread_barrier_wait(&barrier);
	int neighbour = (index + 1) % THREADS;
	long sum = 0;
	for (int i = 0; i < BLOCKS; i += 2) {
		sum += blocks[neighbour][i][BLOCK_SIZE - 1];
		free(blocks[neighbour][i]);
	}
	return (void *)sum;
}

int main(void)
{
	pthread_t threads[THREADS];
	pthread_barrier_init(&barrier, NULL, THREADS);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, thread_main, (void *)i);
	long checksum = 0;
	for (int i = 0; i < THREADS; i++) {
		void *sum;
		pthread_join(threads[i], &sum);
		checksum += (long)sum;
	}
	printf("checksum %ld\n", checksum);
	long objects = (long)THREADS * BLOCKS, freed = objects / 2;
	printf("thread_work %ld %ld %ld %ld\n", objects, objects * BLOCK_SIZE, objects - freed,
	       (objects - freed) * BLOCK_SIZE);
	return 0;
}
