/* Ends the way argv[1] says, after allocating: "sigterm" waits for SIGTERM and
   exits from its handler's flag; "_exit", "abort" and "crash" end without exit(). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t terminated;
static void *kept[100];

static void on_term(int signal)
{
	(void)signal;
	terminated = 1;
}

__attribute__((noinline)) static void ending_work(void)
{
	for (int i = 0; i < 100; i++)
		kept[i] = malloc(7000);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	ending_work();
	if (strcmp(mode, "sigterm") == 0) {
		struct sigaction action = {.sa_handler = on_term};
		sigaction(SIGTERM, &action, NULL);
		printf("ready\n");
		fflush(stdout);
		while (!terminated)
			pause();
		exit(0);
	}
	printf("ending by %s\n", mode);
	fflush(stdout);
	if (strcmp(mode, "_exit") == 0)
		_exit(7);
	if (strcmp(mode, "abort") == 0)
		abort();
	if (strcmp(mode, "crash") == 0)
		raise(SIGSEGV);
	return 0;
}
