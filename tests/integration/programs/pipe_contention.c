/* Many threads start unwinding at once just after the program took the numbers of
   libunwind's address-checking pipe for a file of its own. Each round closes every
   descriptor above stderr (libunwind's pipe included) and opens its input file in
   the two highest numbers, where heapprof had moved the pipe, while THREADS new
   threads wait; then they allocate together, on fresh stacks (libunwind checks
   addresses it has not seen through the pipe). The file is opened read-only: a read on the pipe's
   old number on libunwind's behalf moves its offset, which each round checks.

   usage: pipe_contention INPUT ROUNDS */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define THREADS 32

static pthread_barrier_t start;

__attribute__((noinline)) static void *allocate_together(void *unused)
{
	(void)unused;
	/* Once the main thread has taken the numbers: it allocates nothing meanwhile. */
	pthread_barrier_wait(&start);
	char *block = malloc(100);
	memset(block, 1, 100);
	free(block);
	return NULL;
}

static int highest_descriptor(void)
{
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur > 1024)
		return 1023;
	return (int)limit.rlim_cur - 1;
}

/* The file in the two highest numbers; returns the higher. */
static int take_top_numbers(const char *path)
{
	for (int fd = 3; fd < 65536; fd++)
		close(fd);
	int file = open(path, O_RDONLY);
	int top = highest_descriptor();
	if (file < 0 || dup2(file, top) != top || dup2(file, top - 1) != top - 1)
		return -1;
	close(file);
	return top;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int rounds = atoi(argv[2]), moved = 0;
	for (int round = 0; round < rounds; round++) {
		pthread_barrier_init(&start, NULL, THREADS + 1);
		pthread_t threads[THREADS];
		for (int i = 0; i < THREADS; i++)
			pthread_create(&threads[i], NULL, allocate_together, NULL);
		int top = take_top_numbers(argv[1]);
		if (top < 0)
			return 1;
		pthread_barrier_wait(&start);
		for (int i = 0; i < THREADS; i++)
			pthread_join(threads[i], NULL);
		pthread_barrier_destroy(&start);
		moved += lseek(top, 0, SEEK_CUR) != 0;
	}
	printf("rounds %d, the file's offset moved in %d\n", rounds, moved);
	return 0;
}
