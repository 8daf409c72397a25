/* A process with live threads forks, as prefork servers and Python's fork start
   method do. In the child, new threads (on the stacks glibc kept from the parent's
   threads) allocate and free; then the child reads heapprof's totals and forks
   again. Prints how each process ended; under heapprof, "totals" lines go to stderr:
   before the fork, in the child just after it, and after its threads ran. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
#define BLOCKS 1000
#define CHILD_BLOCKS 500

struct heapprof_stats {
	unsigned long long total_alloc_bytes, total_alloc_objects, total_free_objects, inuse_bytes_estimate,
		inuse_objects_estimate, peak_inuse_bytes_estimate, samples, rate;
};
extern int heapprof_read_stats(struct heapprof_stats *stats) __attribute__((weak));

static pthread_barrier_t ready, release;
static void *blocks[THREADS][BLOCKS];

static void print_totals(const char *when)
{
	struct heapprof_stats stats;
	if (heapprof_read_stats && heapprof_read_stats(&stats) == 0)
		fprintf(stderr, "totals %s %llu %llu %llu\n", when, stats.total_alloc_objects,
			stats.total_free_objects, stats.total_alloc_bytes);
}

__attribute__((noinline)) static void parent_thread_work(int index)
{
	for (int i = 0; i < BLOCKS; i++) {
		blocks[index][i] = malloc(100);
		memset(blocks[index][i], index, 100);
	}
	for (int i = 0; i < BLOCKS; i += 2)
		free(blocks[index][i]);
}

/* Lives across the fork: allocates, then waits until the parent lets it go. */
static void *parent_thread(void *argument)
{
	parent_thread_work((int)(long)argument);
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&release);
	return NULL;
}

__attribute__((noinline)) static void *child_thread_work(void *argument)
{
	void *kept[CHILD_BLOCKS];
	for (int i = 0; i < CHILD_BLOCKS; i++) {
		kept[i] = malloc(200 + (size_t)(long)argument);
		memset(kept[i], 1, 200);
	}
	for (int i = 0; i < CHILD_BLOCKS; i++)
		free(kept[i]);
	return NULL;
}

static void run_threads(int count)
{
	pthread_t threads[THREADS];
	for (long i = 0; i < count; i++)
		pthread_create(&threads[i], NULL, child_thread_work, (void *)i);
	for (int i = 0; i < count; i++)
		pthread_join(threads[i], NULL);
}

static int wait_for(pid_t child)
{
	int status;
	return waitpid(child, &status, 0) == child && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int child(void)
{
	print_totals("after-fork");
	run_threads(THREADS);
	print_totals("child-threads");
	fflush(stdout);
	pid_t grandchild = fork();
	if (grandchild == 0) {
		run_threads(1);
		print_totals("grandchild");
		exit(0);
	}
	printf("grandchild exited %d\n", wait_for(grandchild));
	return 0;
}

int main(void)
{
	pthread_barrier_init(&ready, NULL, THREADS + 1);
	pthread_barrier_init(&release, NULL, THREADS + 1);
	pthread_t threads[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, parent_thread, (void *)i);
	pthread_barrier_wait(&ready);
	print_totals("before-fork");
	fflush(stdout);
	pid_t forked = fork();
	if (forked == 0)
		exit(child());
	pthread_barrier_wait(&release);
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	printf("child exited %d\n", wait_for(forked));
	return 0;
}
