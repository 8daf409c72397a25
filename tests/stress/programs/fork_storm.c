/* While ALLOCATORS threads allocate without pause, a separate thread forks FORKS
   times, one child at a time; each child allocates, and every other child execs this
   program in "child" mode, the rest exit. Prints how many children exited cleanly. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ALLOCATORS 4

static atomic_bool stop;
static char *self;

__attribute__((noinline)) static void child_work(void)
{
	for (int i = 0; i < 100; i++)
		free(malloc(1000 + i));
}

static void *allocator(void *argument)
{
	unsigned seed = (unsigned)(long)argument;
	void *kept[32] = {0};
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		seed = seed * 1103515245 + 12345;
		unsigned slot = (seed >> 16) % 32;
		free(kept[slot]);
		kept[slot] = malloc(16 + (seed >> 8) % 3000);
	}
	for (int i = 0; i < 32; i++)
		free(kept[i]);
	return NULL;
}

/* Each child is waited for before the next fork, but reaped only once all have ended:
   until then its pid stays taken, so no later child is given it, and each profile's
   name (by pid) is its own process's. Reaped at once, a pid the system hands out
   again (it wraps at pid_max, sooner on a busy machine) named a second child's
   profile as the first's, which heapprof refuses to replace. */
static void *forker(void *argument)
{
	int forks = (int)(long)argument, clean = 0;
	pid_t *children = calloc((size_t)forks, sizeof *children);
	for (int i = 0; i < forks; i++) {
		children[i] = fork();
		if (children[i] == 0) {
			child_work();
			if (i % 2)
				execl(self, self, "child", (char *)NULL);
			exit(0);
		}
		siginfo_t info;
		if (children[i] > 0 && waitid(P_PID, (id_t)children[i], &info, WEXITED | WNOWAIT) == 0 &&
		    info.si_code == CLD_EXITED && info.si_status == 0)
			clean++;
	}
	for (int i = 0; i < forks; i++) {
		if (children[i] > 0)
			waitpid(children[i], NULL, 0);
	}
	free(children);
	return (void *)(long)clean;
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		child_work();
		return 0;
	}
	int forks = argc > 1 ? atoi(argv[1]) : 200;
	pthread_t allocators[ALLOCATORS], forking;
	for (long i = 0; i < ALLOCATORS; i++)
		pthread_create(&allocators[i], NULL, allocator, (void *)(i + 1));
	pthread_create(&forking, NULL, forker, (void *)(long)forks);
	void *clean;
	pthread_join(forking, &clean);
	atomic_store(&stop, true);
	for (int i = 0; i < ALLOCATORS; i++)
		pthread_join(allocators[i], NULL);
	printf("children %d clean %ld\n", forks, (long)clean);
	return 0;
}
