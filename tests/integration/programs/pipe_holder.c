/* A thread stopped while it uses heapprof's table of libunwind's pipes, as a thread
   in a signal handler that does not return is, must not stop the others: their
   allocations go on. The program's fstat64 (exported, so that heapprof's calls bind
   to it) stops the first thread at heapprof's first check of a pipe, which it makes
   with the table held, for HOLD_SECONDS; meanwhile a second thread allocates, on a
   fresh stack, whose addresses libunwind checks through the pipe. Prints whether the
   second thread's allocation waited for the first.

   usage: pipe_holder (at HEAPPROF_RATE=1) */
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HOLD_SECONDS 20
/* Far below HOLD_SECONDS, far above any wait heapprof may make. */
#define WAITED_SECONDS 5

static __thread int stop_at_pipe_check;
static sem_t holding, released;

int fstat64(int fd, struct stat64 *status)
{
	int result = (int)syscall(SYS_fstat, fd, status);
	if (stop_at_pipe_check && result == 0 && S_ISFIFO(status->st_mode)) {
		stop_at_pipe_check = 0;
		sem_post(&holding);
		struct timespec deadline;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += HOLD_SECONDS;
		sem_timedwait(&released, &deadline);
	}
	return result;
}

static double seconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

__attribute__((noinline)) static void allocate(void)
{
	char *block = malloc(100);
	memset(block, 1, 100);
	free(block);
}

static void *holder(void *unused)
{
	(void)unused;
	stop_at_pipe_check = 1;
	allocate();
	return NULL;
}

static void *waiter(void *unused)
{
	(void)unused;
	double started = seconds();
	allocate();
	return (void *)(long)(seconds() - started >= WAITED_SECONDS);
}

static void run(void *(*function)(void *), pthread_t *thread)
{
	pthread_create(thread, NULL, function, NULL);
}

int main(void)
{
	sem_init(&holding, 0, 0);
	sem_init(&released, 0, 0);
	pthread_t first, second;
	/* libunwind opens its pipe at its first use. */
	allocate();
	run(holder, &first);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += HOLD_SECONDS;
	if (sem_timedwait(&holding, &deadline) != 0) {
		printf("the first thread checked no pipe\n");
		return 1;
	}
	void *waited = NULL;
	run(waiter, &second);
	pthread_join(second, &waited);
	sem_post(&released);
	pthread_join(first, NULL);
	printf("%s\n", waited ? "the second thread waited for the first" : "the second thread went on");
	return 0;
}
