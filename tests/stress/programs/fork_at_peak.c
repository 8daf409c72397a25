/* A fork while another thread holds the lock of heapprof's peak snapshot, and a child
   that exits normally, writing its final and peak profiles. Each round, a thread
   that exits takes the in-use heap past its peak (it held 60 KiB, too little to have
   told the shared sum, which another thread then brought within 20 KiB of the peak),
   so heapprof snapshots the sites' counters as the thread exits, under the lock. The
   program's own pthread_mutex_trylock (exported, so heapprof's calls reach it)
   stops the exiting thread there, lock held, for HOLD_SECONDS; meanwhile the main
   thread forks. A child must never inherit the lock held: it would wait for it at its
   exit, for a thread that does not exist there.

   usage: fork_at_peak ROUNDS (at HEAPPROF_RATE=1, HEAPPROF_PEAK=1)
   Prints how many children exited and how many hung (killed after CHILD_SECONDS). */
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOLD_SECONDS 1
#define CHILD_SECONDS 10
#define BLOCKS 60
#define BLOCK_SIZE 1024
#define BELOW_PEAK (20 * 1024)

static int (*real_trylock)(pthread_mutex_t *mutex);
static __thread int stop_in_trylock;
static sem_t allocated, may_exit, holding;
static void *blocks[BLOCKS];

int pthread_mutex_trylock(pthread_mutex_t *mutex)
{
	int result = real_trylock(mutex);
	if (stop_in_trylock && result == 0) {
		stop_in_trylock = 0;
		sem_post(&holding);
		sleep(HOLD_SECONDS);
	}
	return result;
}

static struct timespec in_seconds(int seconds)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	return deadline;
}

/* Registers with heapprof by its first free, holds 60 KiB, and once allowed exits,
   stopping at heapprof's first trylock, which its exit's peak snapshot takes. */
static void *exiting(void *unused)
{
	(void)unused;
	free(malloc(1));
	for (int i = 0; i < BLOCKS; i++)
		blocks[i] = malloc(BLOCK_SIZE);
	sem_post(&allocated);
	sem_wait(&may_exit);
	stop_in_trylock = 1;
	return NULL;
}

static void *near_peak(void *size)
{
	return malloc((size_t)size);
}

static int wait_for_child(pid_t child)
{
	int status;
	for (int tenths = 0; tenths < CHILD_SECONDS * 10; tenths++) {
		if (waitpid(child, &status, WNOHANG) == child)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		usleep(100000);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return -1;
}

/* The outcome of one round's child: 1 exited, -1 hung, 0 anything else. */
static int round_at_peak(size_t peak)
{
	free(malloc(peak));
	pthread_t exiter, other;
	pthread_create(&exiter, NULL, exiting, NULL);
	sem_wait(&allocated);
	void *near;
	pthread_create(&other, NULL, near_peak, (void *)(peak - BELOW_PEAK));
	pthread_join(other, &near);
	sem_post(&may_exit);
	struct timespec deadline = in_seconds(CHILD_SECONDS);
	if (sem_timedwait(&holding, &deadline) != 0) {
		printf("the exiting thread took no snapshot\n");
		exit(1);
	}
	fflush(stdout);
	pid_t child = fork();
	if (child == 0)
		exit(0);
	int outcome = wait_for_child(child);
	pthread_join(exiter, NULL);
	free(near);
	for (int i = 0; i < BLOCKS; i++)
		free(blocks[i]);
	return outcome;
}

int main(int argc, char **argv)
{
	real_trylock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_trylock");
	int rounds = argc > 1 ? atoi(argv[1]) : 3, exited = 0, hung = 0;
	sem_init(&allocated, 0, 0);
	sem_init(&may_exit, 0, 0);
	sem_init(&holding, 0, 0);
	for (int round = 0; round < rounds; round++) {
		int outcome = round_at_peak((size_t)(round + 1) << 22);
		exited += outcome == 1;
		hung += outcome == -1;
	}
	printf("rounds %d, children exited %d, hung %d\n", rounds, exited, hung);
	return 0;
}
