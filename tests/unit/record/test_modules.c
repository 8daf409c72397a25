#include "record/modules.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

#include "check.h"

/* An address in no loaded object. */
static const uintptr_t nowhere = 0x1000;
static sem_t inside_callback, refresh_starting;

static int sample_inside_callback(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info;
	(void)size;
	(void)data;
	sem_post(&inside_callback);
	sem_wait(&refresh_starting);
	/* Long enough for the other thread's refresh to be waiting for the loader. */
	usleep(200 * 1000);
	modules_notice(&nowhere, 1);
	return 1;
}

/* As a program's dl_iterate_phdr callback that allocates and is sampled: with the
   loader's lock held, a stack outside every known object after a library was
   loaded makes heapprof read the list of objects again. */
static void *list_objects(void *unused)
{
	(void)unused;
	dl_iterate_phdr(sample_inside_callback, NULL);
	return NULL;
}

/* A refresh on one thread while another samples inside a dl_iterate_phdr callback:
   the loader's lock and the modules lock must be taken in one order, or each waits
   for the other for good. The alarm turns a deadlock into a failure. */
static void test_refresh_while_a_callback_samples(void)
{
	modules_refresh();
	CHECK(dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL));
	sem_init(&inside_callback, 0, 0);
	sem_init(&refresh_starting, 0, 0);
	pthread_t thread;
	CHECK(pthread_create(&thread, NULL, list_objects, NULL) == 0);
	sem_wait(&inside_callback);
	sem_post(&refresh_starting);
	modules_refresh();
	CHECK(pthread_join(thread, NULL) == 0);
	size_t count;
	const struct module *list = modules_hold(&count);
	bool found = false;
	for (size_t i = 0; i < count; i++)
		found |= strstr(list[i].path, "libz.so") != NULL;
	modules_release(list);
	CHECK(found);
}

int main(void)
{
	alarm(20);
	test_refresh_while_a_callback_samples();
	return 0;
}
