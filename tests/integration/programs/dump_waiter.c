/* Allocates a block per line read from stdin, until stdin closes: lets a test send
   signals and wait for dumps while the program is alive. Also "churn N" allocates
   and frees N MiB, and "sleep MS" sleeps. "closefds" closes every descriptor above
   stderr, as a daemon does, and opens own.txt, where each later churn notes itself. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *kept[10000];
static int kept_count;
static int own_file = -1;

__attribute__((noinline)) static void waiter_work(void)
{
	if (kept_count < 10000)
		kept[kept_count++] = malloc(100000);
}

__attribute__((noinline)) static void churn(long megabytes)
{
	for (long i = 0; i < megabytes * 16; i++)
		free(malloc(65536));
}

int main(void)
{
	char line[128];
	while (fgets(line, sizeof line, stdin)) {
		long argument = 0;
		if (sscanf(line, "churn %ld", &argument) == 1) {
			churn(argument);
			if (own_file >= 0)
				dprintf(own_file, "churn %ld\n", argument);
		} else if (strcmp(line, "closefds\n") == 0) {
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
			own_file = open("own.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
		} else if (sscanf(line, "sleep %ld", &argument) == 1) {
			struct timespec pause = {argument / 1000, (argument % 1000) * 1000000};
			nanosleep(&pause, NULL);
		} else {
			waiter_work();
		}
		printf("done %s", line);
		fflush(stdout);
	}
	return 0;
}
