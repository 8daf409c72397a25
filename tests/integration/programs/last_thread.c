/* A process whose initial thread ends without ending it, as argv[1] says:

   worker      the initial thread calls pthread_exit while a worker allocates; the
               worker is the last thread, and glibc calls exit(0) when it returns
   initial     the initial thread joins the worker and then calls pthread_exit: it is
               the last
   thrd        as worker, with C11's thrd_exit
   fork-child  a second thread forks; in the child, where it is the initial thread,
               it allocates and returns from its start routine, the child's last
               thread; the parent waits for the child and returns

   An atexit handler says when the process ends through exit. Output goes through
   write(2): the lines of a fork child and its parent stay in order. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <threads.h>
#include <unistd.h>

#define BLOCKS 200

static void *kept[BLOCKS];
static const char *mode;

static void say(const char *text)
{
	if (write(STDOUT_FILENO, text, strlen(text)) < 0)
		_exit(3);
}

static void at_exit(void)
{
	say("atexit handler\n");
}

/* 200 blocks of 10,000 bytes, allocated over 100 ms: enough to cross
   HEAPPROF_DUMP_INTERVAL=1M. */
__attribute__((noinline)) static void last_thread_work(void)
{
	for (int i = 0; i < BLOCKS; i++) {
		kept[i] = malloc(10000);
		memset(kept[i], i, 10000);
		if (i % 20 == 0)
			usleep(10000);
	}
}

static void *work(void *argument)
{
	(void)argument;
	last_thread_work();
	say("worker done\n");
	return NULL;
}

static void *fork_and_return(void *argument)
{
	(void)argument;
	pid_t child = fork();
	if (child == 0) {
		last_thread_work();
		say("child returns from its start routine\n");
		return NULL;
	}
	int status = -1;
	waitpid(child, &status, 0);
	say(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "child exited 0\n" : "child did not exit 0\n");
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	mode = argv[1];
	atexit(at_exit);
	void *(*start)(void *argument) = strcmp(mode, "fork-child") == 0 ? fork_and_return : work;
	pthread_t thread;
	if (pthread_create(&thread, NULL, start, NULL) != 0)
		return 2;
	if (strcmp(mode, "fork-child") == 0 || strcmp(mode, "initial") == 0) {
		pthread_join(thread, NULL);
		say("initial thread leaves\n");
		if (strcmp(mode, "fork-child") == 0)
			return 0;
	} else {
		say("initial thread leaves\n");
	}
	if (strcmp(mode, "thrd") == 0)
		thrd_exit(0);
	pthread_exit(NULL);
}
