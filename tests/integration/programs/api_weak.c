/* Calls the API only when heapprof is present: weak declarations, so the program runs
   with or without LD_PRELOAD and without linking heapprof. */
#include <stdio.h>
#include <stdlib.h>

extern int heapprof_write_profile(const char *path) __attribute__((weak));
extern void heapprof_set_rate(size_t bytes) __attribute__((weak));

int main(int argc, char **argv)
{
	if (heapprof_set_rate)
		heapprof_set_rate(1);
	void *block = malloc(12345);
	if (heapprof_write_profile && argc > 1)
		printf("profile written: %s\n", heapprof_write_profile(argv[1]) == 0 ? "yes" : "no");
	else
		printf("not profiled\n");
	free(block);
	return 0;
}
