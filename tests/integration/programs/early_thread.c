/* A library whose constructor starts a thread that allocates and frees, and joins it:
   the thread lives and dies before heapprof's constructor, which runs after the
   constructors of the program's own libraries. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int ran;

static void *before_main(void *unused)
{
	(void)unused;
	char *block = malloc(1000);
	memset(block, 1, 1000);
	free(block);
	return NULL;
}

__attribute__((constructor)) static void start_early_thread(void)
{
	pthread_t thread;
	if (pthread_create(&thread, NULL, before_main, NULL) == 0 && pthread_join(thread, NULL) == 0)
		ran = 1;
}

int early_thread_ran(void)
{
	return ran;
}
