/* A process that writes profiles and then execs itself, as daemons that re-exec to
   upgrade do: the image after the exec has the same pid, so with %p its profile takes
   the name of the earlier image's.

   usage: reexec (the second image runs as `reexec again`) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *volatile sink[2000];

__attribute__((noinline)) static void before_exec_work(void)
{
	for (int i = 0; i < 2000; i++) {
		sink[i] = malloc(4096);
		memset(sink[i], 1, 4096);
	}
}

__attribute__((noinline)) static void after_exec_work(void)
{
	for (int i = 0; i < 1000; i++) {
		sink[i] = malloc(3000);
		memset(sink[i], 2, 3000);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		after_exec_work();
		return 0;
	}
	before_exec_work();
	execl("/proc/self/exe", argv[0], "again", (char *)0);
	return 1;
}
