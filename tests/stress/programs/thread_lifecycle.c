/* Creates and joins COUNT short-lived threads, BATCH at a time; each allocates, frees
   and leaves one block for the main thread to free. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 64

__attribute__((noinline)) static void *short_life(void *argument)
{
	for (int i = 0; i < 20; i++)
		free(malloc(64 + i * 100));
	char *left = malloc(256);
	memset(left, (int)(long)argument, 256);
	return left;
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 10000;
	long checksum = 0;
	int started = 0;
	for (; started < count; started += BATCH) {
		pthread_t threads[BATCH];
		for (int i = 0; i < BATCH; i++)
			pthread_create(&threads[i], NULL, short_life, (void *)(long)(i & 0x7f));
		for (int i = 0; i < BATCH; i++) {
			void *left;
			pthread_join(threads[i], &left);
			checksum += ((unsigned char *)left)[255];
			free(left);
		}
	}
	printf("threads %d checksum %ld\n", started, checksum);
	return 0;
}
