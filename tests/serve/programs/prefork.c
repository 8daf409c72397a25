/* A prefork server's shape: a master, with two threads that allocate all along, forks
   four workers, which allocate and go on serving (here: allocating a little) until
   the master tells them to stop. Prints "worker PID" for each, then "ready"; stops
   them when stdin closes, and exits 0 when all four have exited 0. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 4

static atomic_bool stopping;
static void *kept[1000];

__attribute__((noinline)) static void master_work(void)
{
	for (int i = 0; i < 100; i++)
		kept[i] = malloc(1000);
}

__attribute__((noinline)) static void master_thread_work(void)
{
	void *block = malloc(300);
	memset(block, 1, 300);
	free(block);
}

static void *master_thread(void *argument)
{
	(void)argument;
	while (!atomic_load(&stopping)) {
		master_thread_work();
		usleep(1000);
	}
	return NULL;
}

__attribute__((noinline)) static void worker_work(int index)
{
	for (int i = 0; i < (index + 1) * 50; i++)
		kept[100 + i] = malloc(2000);
}

__attribute__((noinline)) static void worker_tick(void)
{
	free(malloc(100));
}

/* Serves until the master closes its end of `stop`. */
static void worker(int index, int stop)
{
	worker_work(index);
	struct pollfd waiting = {.fd = stop, .events = POLLIN};
	while (poll(&waiting, 1, 20) == 0)
		worker_tick();
	exit(0);
}

int main(void)
{
	int stop[2];
	if (pipe(stop) != 0)
		return 2;
	master_work();
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, master_thread, NULL);
	pid_t workers[WORKERS];
	for (int i = 0; i < WORKERS; i++) {
		fflush(stdout);
		workers[i] = fork();
		if (workers[i] == 0) {
			close(stop[1]);
			worker(i, stop[0]);
		}
		printf("worker %d\n", (int)workers[i]);
	}
	printf("ready\n");
	fflush(stdout);
	char line[64];
	while (fgets(line, sizeof line, stdin))
		;
	close(stop[1]);
	int clean = 0;
	for (int i = 0; i < WORKERS; i++) {
		int status;
		clean += waitpid(workers[i], &status, 0) == workers[i] && WIFEXITED(status) &&
			 WEXITSTATUS(status) == 0;
	}
	atomic_store(&stopping, true);
	for (int i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	printf("%d workers exited 0\n", clean);
	return clean == WORKERS ? 0 : 1;
}
