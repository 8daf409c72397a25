/* Allocates, then ends with the fault argv[1] names: a real one where a program can
   cause it (segv, bus, ill, fpe, trap), else the call that raises it (abort, sys). */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *kept[100];

__attribute__((noinline)) static void faults_work(void)
{
	for (int i = 0; i < 100; i++)
		kept[i] = malloc(1000);
}

/* A page of a file mapped beyond the file's end. */
static void bus_error(void)
{
	char name[] = "/tmp/heapprof-faults-XXXXXX";
	int fd = mkstemp(name);
	unlink(name);
	volatile char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	page[0] = 1;
}

int main(int argc, char **argv)
{
	faults_work();
	const char *fault = argc > 1 ? argv[1] : "";
	printf("before %s\n", fault);
	fflush(stdout);
	volatile int zero = 0, seven = 7;
	if (strcmp(fault, "segv") == 0)
		*(volatile int *)(uintptr_t)zero = 1;
	else if (strcmp(fault, "bus") == 0)
		bus_error();
	else if (strcmp(fault, "ill") == 0)
		__builtin_trap();
	else if (strcmp(fault, "fpe") == 0)
		printf("%d\n", seven / zero);
	else if (strcmp(fault, "trap") == 0)
		__asm__ volatile("int3");
	else if (strcmp(fault, "abort") == 0)
		abort();
	else if (strcmp(fault, "sys") == 0)
		raise(SIGSYS);
	printf("after %s\n", fault);
	return 0;
}
