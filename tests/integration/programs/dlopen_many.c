/* Loads DIRECTORY/lib0.so ... lib<COUNT-1>.so (copies of one library: each a new
   object at a new address), calls each, and unloads them all at the end, as a
   program with many plugins or extension modules does. Prints how much its anonymous
   resident memory grew while they were loaded, after the first.

   usage: dlopen_many DIRECTORY COUNT */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Anonymous resident memory: what a profiler keeps. The pages of the libraries'
   files that the unwinder reads (their .eh_frame) count as file-backed. */
static long anonymous_kib(void)
{
	long kib = -1;
	char line[256];
	FILE *status = fopen("/proc/self/status", "r");
	while (status && fgets(line, sizeof line, status)) {
		if (strncmp(line, "RssAnon:", 8) == 0)
			kib = atol(line + 8);
	}
	if (status)
		fclose(status);
	return kib;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: dlopen_many DIRECTORY COUNT\n");
		return 2;
	}
	int count = atoi(argv[2]);
	void **handles = calloc((size_t)count, sizeof *handles);
	long sum = 0, before = 0;
	for (int i = 0; i < count; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/lib%d.so", argv[1], i);
		handles[i] = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!handles[i]) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		long (*work)(void) = (long (*)(void))dlsym(handles[i], "loaded_work");
		sum += work();
		if (i == 0)
			before = anonymous_kib();
	}
	long growth = anonymous_kib() - before;
	for (int i = 0; i < count; i++)
		dlclose(handles[i]);
	free(handles);
	printf("sum %ld\n", sum);
	printf("growth %ld KiB\n", growth);
	return 0;
}
