/* Leaves the process in the way argv[1] names, with an allocation site still live:
   return from main, exit(), or exit() from a second thread while the main thread
   keeps allocating. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *kept[100];

__attribute__((noinline)) static void exit_path_work(void)
{
	for (int i = 0; i < 100; i++)
		kept[i] = malloc(5000);
}

static void *exit_from_thread(void *argument)
{
	(void)argument;
	usleep(20000);
	printf("thread exits\n");
	exit(3);
}

int main(int argc, char **argv)
{
	exit_path_work();
	const char *mode = argc > 1 ? argv[1] : "return";
	if (strcmp(mode, "exit") == 0) {
		printf("exit\n");
		exit(4);
	}
	if (strcmp(mode, "thread") == 0) {
		pthread_t thread;
		pthread_create(&thread, NULL, exit_from_thread, NULL);
		for (;;)
			free(malloc(64));
	}
	printf("return\n");
	return 5;
}
