/* A thread cancelled at its close (pending when it calls close, so glibc acts on it
   before the descriptor is closed), then profiles written: heapprof's close counts the
   close under way until it returns or is cancelled, and a count left behind would make
   each descriptor heapprof makes afterwards wait its full bound (100 ms) for a close
   that never ends.

   usage: cancel_in_close PROFILE  prints whether the thread was cancelled with its
                                   descriptor closed, and the milliseconds 20 writes
                                   of PROFILE took */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "heapprof.h"

static int descriptor;

static void *cancelled_at_close(void *unused)
{
	(void)unused;
	pthread_cancel(pthread_self());
	close(descriptor);
	return NULL;
}

static double milliseconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	descriptor = open("/dev/null", O_RDONLY);
	pthread_t thread;
	void *result;
	if (descriptor < 0 || pthread_create(&thread, NULL, cancelled_at_close, NULL) != 0 ||
	    pthread_join(thread, &result) != 0)
		return 1;
	printf("cancelled: %d, closed: %d\n", result == PTHREAD_CANCELED, fcntl(descriptor, F_GETFD) == -1);
	double start = milliseconds();
	for (int i = 0; i < 20; i++) {
		if (heapprof_write_profile(argv[1]) != 0)
			return 1;
	}
	fprintf(stderr, "20 writes: %.0f ms\n", milliseconds() - start);
	return 0;
}
