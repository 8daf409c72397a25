#include "loader_locks.h"

#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "loaded_object.h"

/* glibc's struct rtld_global declares _dl_load_lock, _dl_load_write_lock and
   _dl_load_tls_lock one after another, each a recursive pthread_mutex_t (2.34 and
   later). Its layout is private, so the write lock is found by what it is while
   dl_iterate_phdr runs: the one recursive mutex inside _rtld_global that this thread
   holds. Its neighbours must then be recursive mutexes too, or nothing is used. */
enum { LOAD, WRITE, TLS, LOCKS };
static pthread_mutex_t *locks[LOCKS];

struct search {
	uintptr_t loader;
	pid_t self;
	pthread_mutex_t *found;
	char *start;
	size_t size;
};

static bool is_recursive(const pthread_mutex_t *mutex)
{
	return mutex->__data.__kind == PTHREAD_MUTEX_RECURSIVE_NP;
}

static bool held_by(const pthread_mutex_t *mutex, pid_t thread)
{
	return is_recursive(mutex) && mutex->__data.__owner == thread && mutex->__data.__count >= 1;
}

/* Runs with the write lock held: finds it in the loader's own entry. */
static int find_held(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct search *search = data;
	if (info->dlpi_addr != search->loader)
		return 0;
	search->start = loaded_object_data(info, "_rtld_global", &search->size);
	for (size_t at = 0; search->start && at + sizeof(pthread_mutex_t) <= search->size && !search->found;
	     at += _Alignof(pthread_mutex_t)) {
		pthread_mutex_t *mutex = (pthread_mutex_t *)(search->start + at);
		if (held_by(mutex, search->self))
			search->found = mutex;
	}
	return 1;
}

bool loader_locks_find(void)
{
	struct search search = {.loader = getauxval(AT_BASE), .self = gettid()};
	dl_iterate_phdr(find_held, &search);
	pthread_mutex_t *write = search.found;
	/* Loaded by dlopen, heapprof runs with the first lock held as well. */
	if (write && held_by(write + 1, search.self))
		write++;
	if (!write || (char *)(write - 1) < search.start ||
	    (char *)(write + 2) > search.start + search.size || !is_recursive(write - 1) ||
	    !is_recursive(write + 1))
		return false;
	locks[LOAD] = write - 1;
	locks[WRITE] = write;
	locks[TLS] = write + 1;
	return true;
}

static void release(int count)
{
	while (count-- > 0)
		pthread_mutex_unlock(locks[count]);
}

bool loader_locks_take(void)
{
	if (!locks[LOAD])
		return false;
	for (int i = 0; i < LOCKS; i++) {
		/* A trylock of a recursive mutex this thread holds succeeds: the count says. */
		if (pthread_mutex_trylock(locks[i]) != 0) {
			release(i);
			return false;
		}
		if (locks[i]->__data.__count != 1) {
			release(i + 1);
			return false;
		}
	}
	return true;
}

void loader_locks_release(void)
{
	release(LOCKS);
}

bool loader_locks_take_objects(void)
{
	if (!loader_locks_take())
		return false;
	pthread_mutex_unlock(locks[TLS]);
	pthread_mutex_unlock(locks[WRITE]);
	return true;
}

void loader_locks_release_objects(void)
{
	pthread_mutex_unlock(locks[LOAD]);
}

bool loader_locks_objects_busy(void)
{
	return locks[LOAD] && __atomic_load_n(&locks[LOAD]->__data.__owner, __ATOMIC_RELAXED) != 0;
}
