/* A thread closes the numbers of libunwind's address-checking pipe's read end over
   and over (the second and third highest: heapprof may keep its working directory in
   the highest) while threads allocate on fresh stacks, which libunwind checks through the
   pipe: a close that lands between heapprof's check of the pipe and libunwind's
   write into it broke the pipe under the write, and SIGPIPE ended the program. At
   the end, a SIGPIPE of the program's own must still reach its handler.

   usage: pipe_closer ROUNDS */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define THREADS 8

static atomic_bool done;
static volatile sig_atomic_t sigpipes;
static char *volatile sink[THREADS];

static void *close_read_end(void *unused)
{
	(void)unused;
	struct rlimit limit;
	int top = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur <= 1024 ? (int)limit.rlim_cur - 1
										  : 1023;
	while (!atomic_load(&done)) {
		close(top - 1);
		close(top - 2);
	}
	return NULL;
}

__attribute__((noinline)) static void *allocate(void *slot)
{
	char *block = malloc(100);
	memset(block, 1, 100);
	sink[(char *)slot - (char *)0] = block;
	return NULL;
}

static void count_sigpipe(int signal)
{
	(void)signal;
	sigpipes++;
}

/* A write into a pipe of its own whose read end it closed. */
static void break_own_pipe(void)
{
	int ends[2];
	if (pipe(ends) != 0)
		return;
	close(ends[0]);
	signal(SIGPIPE, count_sigpipe);
	ssize_t written = write(ends[1], "x", 1);
	printf("own write %zd (%s), SIGPIPE handled %d\n", written, written < 0 ? strerror(errno) : "-",
	       (int)sigpipes);
	close(ends[1]);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int rounds = atoi(argv[1]);
	pthread_t closer;
	pthread_create(&closer, NULL, close_read_end, NULL);
	for (int round = 0; round < rounds; round++) {
		pthread_t threads[THREADS];
		for (int i = 0; i < THREADS; i++)
			pthread_create(&threads[i], NULL, allocate, (char *)0 + i);
		for (int i = 0; i < THREADS; i++) {
			pthread_join(threads[i], NULL);
			free(sink[i]);
		}
	}
	atomic_store(&done, true);
	pthread_join(closer, NULL);
	printf("%d rounds\n", rounds);
	break_own_pipe();
	return 0;
}
