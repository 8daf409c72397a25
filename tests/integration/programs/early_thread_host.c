/* Linked with libearly_thread.so, whose constructor ran a thread to completion before
   main. A thread started now gets that thread's stack from glibc's cache; while it
   is alive the process forks, and the child forks again. Prints how each process
   ended. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCKS 100

int early_thread_ran(void);

static pthread_barrier_t ready, release;

__attribute__((noinline)) static void thread_work(void)
{
	void *kept[BLOCKS];
	for (int i = 0; i < BLOCKS; i++) {
		kept[i] = malloc(64 + (size_t)i);
		memset(kept[i], 2, 64);
	}
	for (int i = 0; i < BLOCKS; i++)
		free(kept[i]);
}

static void *worker(void *unused)
{
	(void)unused;
	thread_work();
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&release);
	return NULL;
}

static int fork_and_wait(void (*in_child)(void))
{
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		in_child();
		exit(0);
	}
	int status;
	return waitpid(child, &status, 0) == child && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void grandchild(void)
{
	thread_work();
}

static void child(void)
{
	thread_work();
	printf("grandchild exited %d\n", fork_and_wait(grandchild));
}

int main(void)
{
	printf("early thread ran: %d\n", early_thread_ran());
	pthread_barrier_init(&ready, NULL, 2);
	pthread_barrier_init(&release, NULL, 2);
	pthread_t thread;
	pthread_create(&thread, NULL, worker, NULL);
	pthread_barrier_wait(&ready);
	printf("child exited %d\n", fork_and_wait(child));
	pthread_barrier_wait(&release);
	pthread_join(thread, NULL);
	return 0;
}
