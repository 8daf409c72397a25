/* The first operator new of C++ code that a C program loaded, while another thread
   holds the dynamic loader's lock (it is loading a library whose constructor waits):
   the call must not wait for the loader. A C program has no C++ runtime in its own
   scope, so the operators new and delete that heapprof forwards to are found only
   once the plugin calls them; looked up with the loader's help (dlsym), the first
   call waited for the lock, and a program whose loading thread waits for the
   allocating one, as here, for a lock of its own or a queue, hung for good.

   usage: loader_lock_holder CXX_PLUGIN.so LOADER_WAITER.so
   Prints whether the plugin's first allocation waited for the loading thread. */
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

#define HOLD_SECONDS 20
/* Far below HOLD_SECONDS, far above any allocation's own time. */
#define WAITED_SECONDS 5

static sem_t loading, allocated;

static struct timespec in_seconds(int seconds)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	return deadline;
}

/* Called by LOADER_WAITER.so's constructor, with the loader's lock held. */
void loader_waiter_constructing(void)
{
	sem_post(&loading);
	struct timespec deadline = in_seconds(HOLD_SECONDS);
	sem_timedwait(&allocated, &deadline);
}

static void *load(void *path)
{
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static double seconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	void *plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	long (*allocate)(void) = plugin ? (long (*)(void))dlsym(plugin, "plugin_allocate") : NULL;
	if (!allocate) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	sem_init(&loading, 0, 0);
	sem_init(&allocated, 0, 0);
	pthread_t loader;
	pthread_create(&loader, NULL, load, argv[2]);
	struct timespec deadline = in_seconds(HOLD_SECONDS);
	if (sem_timedwait(&loading, &deadline) != 0) {
		printf("the library was not loaded\n");
		return 1;
	}
	double started = seconds();
	long total = allocate();
	double took = seconds() - started;
	sem_post(&allocated);
	void *waiter;
	pthread_join(loader, &waiter);
	printf("plugin total %ld; the first allocation %s the loader\n", total,
	       took >= WAITED_SECONDS ? "waited for" : "did not wait for");
	return waiter ? 0 : 1;
}
