/* A C program that dlopens C++ code which throws. Prints which object provides the
   unwinder entry points the C++ runtime binds to: heapprof must not change them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: exceptions_host THROWER.so\n");
		return 2;
	}
	void *thrower = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!thrower) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	long (*run)(long) = (long (*)(long))dlsym(thrower, "thrower_run");
	const char *(*provider)(const char *) =
		(const char *(*)(const char *))dlsym(thrower, "thrower_provider");
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long caught = run(20000);
	clock_gettime(CLOCK_MONOTONIC, &end);
	double nanos = (double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec);
	printf("caught %ld\n", caught);
	printf("_Unwind_RaiseException from %s\n", provider("_Unwind_RaiseException"));
	printf("_Unwind_Backtrace from %s\n", provider("_Unwind_Backtrace"));
	printf("backtrace from %s\n", provider("backtrace"));
	fprintf(stderr, "ns per throw: %.0f\n", nanos / 20000);
	return 0;
}
