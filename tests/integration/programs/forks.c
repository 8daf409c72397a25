/* A parent that forks twice: one child allocates and exits, the other execs this
   program again in "exec-child" mode. Every process leaves its own profile.
   forks written-first: the parent writes a profile before it forks (through the API,
   when heapprof is there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern int heapprof_write_profile(const char *path) __attribute__((weak));

static void *kept[1000];

#define WORKER(name, size)                               \
	__attribute__((noinline)) static void name(void) \
	{                                                \
		for (int i = 0; i < 1000; i++) {         \
			kept[i] = malloc(size);          \
			memset(kept[i], 1, size);        \
		}                                        \
	}
WORKER(parent_work, 1000)
WORKER(forked_child_work, 2000)
WORKER(exec_child_work, 3000)

static int wait_for(pid_t child)
{
	int status;
	return waitpid(child, &status, 0) == child && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
		exec_child_work();
		printf("exec child done\n");
		return 0;
	}
	parent_work();
	if (argc > 1 && strcmp(argv[1], "written-first") == 0 && heapprof_write_profile)
		heapprof_write_profile(NULL);
	fflush(stdout);
	pid_t forked = fork();
	if (forked == 0) {
		forked_child_work();
		printf("forked child done\n");
		exit(0);
	}
	int forked_status = wait_for(forked);
	pid_t exec_child = fork();
	if (exec_child == 0) {
		execl("/proc/self/exe", argv[0], "exec-child", (char *)NULL);
		_exit(127);
	}
	int exec_status = wait_for(exec_child);
	printf("parent done: children exited %d %d\n", forked_status, exec_status);
	fprintf(stderr, "pids %d %d %d\n", (int)getpid(), (int)forked, (int)exec_child);
	return 0;
}
