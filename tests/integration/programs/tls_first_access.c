/* A thread's first use of thread-local data in a library loaded after the thread
   started: glibc's __tls_get_addr allocates the block, and grows the thread's table
   of blocks (its dtv) when many libraries were loaded meanwhile, calling malloc with
   that table half updated. A sample there must not walk with libunwind, whose own
   first use of its thread-local data on the thread would grow the same table again
   under glibc, which then writes to the table it freed.

   usage: tls_first_access LIBRARY... (each a copy of tls_holder.so)
   Prints what the thread wrote to its block, read back. */
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

extern void heapprof_set_rate(size_t bytes) __attribute__((weak));

static sem_t go;
static long *(*values_of_last)(void);

static void *use(void *unused)
{
	(void)unused;
	sem_wait(&go);
	values_of_last()[0] = 42;
	return (void *)values_of_last()[0];
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	sem_init(&go, 0, 0);
	pthread_t thread;
	pthread_create(&thread, NULL, use, NULL);
	void *library = NULL;
	for (int i = 1; i < argc; i++) {
		library = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
		if (!library) {
			printf("%s\n", dlerror());
			return 1;
		}
	}
	values_of_last = (long *(*)(void))dlsym(library, "tls_holder_values");
	if (heapprof_set_rate)
		heapprof_set_rate(1);
	sem_post(&go);
	void *value;
	pthread_join(thread, &value);
	printf("the thread read back %ld\n", (long)value);
	return 0;
}
