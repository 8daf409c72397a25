/* The loader's locks are taken only when no thread holds any of them, this one
   included: not in a dl_iterate_phdr callback, not in a constructor, not while
   another thread is in either. And what loader_locks.c found are the loader's own:
   while it holds them, another thread's dlopen, dl_iterate_phdr and pthread_create
   (which sets up the new thread's TLS under the third) wait; while it holds the
   objects' lock alone, dlopen waits and dl_iterate_phdr does not. The objects' lock
   is seen busy while a thread is in a constructor.

   usage: test_loader_locks FIXTURE.so */
#include "record/loader_locks.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "check.h"

/* Long enough for a thread that is not blocked to get through any of the calls. */
#define BLOCKED_NANOS 300000000L

static sem_t entered, leave;
static enum { TAKE_HERE, WAIT_HERE } constructor_does;
static int taken_in_constructor = -1;

static int take_and_release(void)
{
	bool taken = loader_locks_take();
	if (taken)
		loader_locks_release();
	return taken;
}

/* Exported (-rdynamic): the fixture's constructor calls it. */
void loader_locks_fixture_constructing(void)
{
	if (constructor_does == TAKE_HERE) {
		taken_in_constructor = take_and_release();
		return;
	}
	sem_post(&entered);
	sem_wait(&leave);
}

static int take_in_callback(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info;
	(void)size;
	*(int *)data = take_and_release();
	return 1;
}

static int wait_in_callback(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info;
	(void)size;
	(void)data;
	sem_post(&entered);
	sem_wait(&leave);
	return 1;
}

static void *iterate_and_wait(void *unused)
{
	(void)unused;
	dl_iterate_phdr(wait_in_callback, NULL);
	return NULL;
}

static void *load(void *path)
{
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static void *take_on_other_thread(void *unused)
{
	(void)unused;
	return (void *)(uintptr_t)take_and_release();
}

static void holders_elsewhere(const char *fixture)
{
	pthread_t thread;
	void *result;
	pthread_create(&thread, NULL, iterate_and_wait, NULL);
	sem_wait(&entered);
	CHECK(!loader_locks_take());
	sem_post(&leave);
	pthread_join(thread, NULL);

	constructor_does = WAIT_HERE;
	pthread_create(&thread, NULL, load, (void *)fixture);
	sem_wait(&entered);
	CHECK(!loader_locks_take());
	CHECK(loader_locks_objects_busy());
	sem_post(&leave);
	pthread_join(thread, &result);
	CHECK(result != NULL);
	dlclose(result);
	CHECK(!loader_locks_objects_busy());
}

static void holders_here(const char *fixture)
{
	int taken = -1;
	dl_iterate_phdr(take_in_callback, &taken);
	CHECK(taken == 0);

	constructor_does = TAKE_HERE;
	void *library = dlopen(fixture, RTLD_NOW | RTLD_LOCAL);
	CHECK(library != NULL);
	CHECK(taken_in_constructor == 0);
	dlclose(library);

	/* A second take on the thread that holds them. */
	CHECK(loader_locks_take());
	CHECK(!loader_locks_take());
	loader_locks_release();
}

static atomic_int done;

static int stop_iterating(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info;
	(void)size;
	(void)data;
	return 1;
}

static void *nothing(void *unused)
{
	return unused;
}

static void *call(void *which)
{
	if (which == (void *)0)
		dlclose(dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL));
	else if (which == (void *)1)
		dl_iterate_phdr(stop_iterating, NULL);
	else {
		pthread_t thread;
		pthread_create(&thread, NULL, nothing, NULL);
		pthread_join(thread, NULL);
	}
	atomic_store(&done, 1);
	return NULL;
}

/* While this thread holds the locks, each call waits; once they are released, it ends. */
static void the_loader_waits(void)
{
	for (uintptr_t which = 0; which < 3; which++) {
		atomic_store(&done, 0);
		CHECK(loader_locks_take());
		pthread_t thread;
		pthread_create(&thread, NULL, call, (void *)which);
		nanosleep(&(struct timespec){0, BLOCKED_NANOS}, NULL);
		if (atomic_load(&done))
			CHECK_FAILED("call %u did not wait for the locks", (unsigned)which);
		loader_locks_release();
		pthread_join(thread, NULL);
		CHECK(atomic_load(&done));
	}
}

/* Holding the objects' lock alone: dlopen waits, dl_iterate_phdr goes through. */
static void the_objects_lock_alone(void)
{
	CHECK(loader_locks_take_objects());
	atomic_store(&done, 0);
	pthread_t thread;
	pthread_create(&thread, NULL, call, (void *)1);
	pthread_join(thread, NULL);
	CHECK(atomic_load(&done));
	atomic_store(&done, 0);
	pthread_create(&thread, NULL, call, (void *)0);
	nanosleep(&(struct timespec){0, BLOCKED_NANOS}, NULL);
	if (atomic_load(&done))
		CHECK_FAILED("dlopen did not wait for the objects' lock");
	loader_locks_release_objects();
	pthread_join(thread, NULL);
	CHECK(atomic_load(&done));
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	sem_init(&entered, 0, 0);
	sem_init(&leave, 0, 0);
	CHECK(loader_locks_find());

	CHECK(loader_locks_take());
	pthread_t thread;
	void *taken_elsewhere;
	pthread_create(&thread, NULL, take_on_other_thread, NULL);
	pthread_join(thread, &taken_elsewhere);
	CHECK(taken_elsewhere == NULL);
	loader_locks_release();

	holders_here(argv[1]);
	holders_elsewhere(argv[1]);
	the_loader_waits();
	the_objects_lock_alone();
	/* Nothing was left held. */
	CHECK(take_and_release());
	printf("loader_locks: ok\n");
	return 0;
}
