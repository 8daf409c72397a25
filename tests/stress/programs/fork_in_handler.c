/* A timer signal whose handler forks, firing while the only thread allocates and
   frees and, under heapprof, reads its statistics: the handler often interrupts
   heapprof itself, in the middle of recording a sample or of summing its counts. Half of the children leave from the handler with _exit; the others return
   from it, finish the interrupted call, allocate and free some more and exit
   normally. The parent reaps them and prints whether each ended cleanly.

   usage: fork_in_handler SECONDS */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct heapprof_stats {
	unsigned long long total_alloc_bytes, total_alloc_objects, total_free_objects, inuse_bytes_estimate,
		inuse_objects_estimate, peak_inuse_bytes_estimate, samples, rate;
};
extern int heapprof_read_stats(struct heapprof_stats *stats) __attribute__((weak));

static volatile sig_atomic_t in_child;
static _Atomic long forks;

static void on_alarm(int signal)
{
	(void)signal;
	if (in_child || atomic_fetch_add(&forks, 1) % 8 != 0)
		return;
	pid_t child = fork();
	if (child == 0) {
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
		if (atomic_load(&forks) % 16 == 1)
			_exit(0);
		in_child = 1;
	}
}

__attribute__((noinline)) static void main_work(void **kept, unsigned slot, size_t size)
{
	free(kept[slot]);
	kept[slot] = malloc(size);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Returns whether every child reaped so far ended with status 0. */
static int reap(int *children, int wait_for_all)
{
	int clean = 1, status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, wait_for_all ? 0 : WNOHANG)) > 0) {
		++*children;
		clean &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	return clean;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2;
	struct sigaction action = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	sigaction(SIGALRM, &action, NULL);
	struct itimerval timer = {{0, 300}, {0, 300}};
	setitimer(ITIMER_REAL, &timer, NULL);
	void *kept[256] = {0};
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	unsigned seed = 1;
	int children = 0, clean = 1;
	do {
		for (int i = 0; i < 1000; i++) {
			seed = seed * 1103515245 + 12345;
			main_work(kept, (seed >> 16) % 256, 16 + (seed >> 8) % 4000);
			struct heapprof_stats stats;
			if (heapprof_read_stats)
				heapprof_read_stats(&stats);
		}
		if (in_child) {
			for (int i = 0; i < 256; i++)
				free(kept[i]);
			exit(0);
		}
		clean &= reap(&children, 0);
	} while (seconds_since(&start) < seconds);
	/* No handler, and so no fork, from here on. A child forked after the loop's last
	   look at in_child (while it reaped, say) leaves now: going on, it would report
	   its parent's children as its own. */
	sigset_t alarm;
	sigemptyset(&alarm);
	sigaddset(&alarm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alarm, NULL);
	if (in_child) {
		for (int i = 0; i < 256; i++)
			free(kept[i]);
		exit(0);
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	clean &= reap(&children, 1);
	for (int i = 0; i < 256; i++)
		free(kept[i]);
	printf("children > 10: %d, all clean: %d\n", children > 10, clean);
	return 0;
}
