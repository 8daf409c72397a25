/* close, closefrom, close_range, dup2 and dup3 as the program sees them: forwarded to
   the next definition, each after waiting while heapprof makes a descriptor
   (descriptors.c). A program that closes every descriptor would otherwise close
   heapprof's new one in the lowest free number and open a file of its own there before
   heapprof moves it up, or put one there with dup2: the move would take the program's
   file and close its number. */
#include "closes.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include "descriptors.h"

#define EXPORT __attribute__((visibility("default")))

static int (*_Atomic next_close)(int);
static void (*_Atomic next_closefrom)(int);
static int (*_Atomic next_close_range)(unsigned, unsigned, int);
static int (*_Atomic next_dup2)(int, int);
static int (*_Atomic next_dup3)(int, int, int);

void closes_resolve(void)
{
	next_close = (__typeof__(next_close))dlsym(RTLD_NEXT, "close");
	next_closefrom = (__typeof__(next_closefrom))dlsym(RTLD_NEXT, "closefrom");
	next_close_range = (__typeof__(next_close_range))dlsym(RTLD_NEXT, "close_range");
	next_dup2 = (__typeof__(next_dup2))dlsym(RTLD_NEXT, "dup2");
	next_dup3 = (__typeof__(next_dup3))dlsym(RTLD_NEXT, "dup3");
}

static void end_close(void *unused)
{
	(void)unused;
	descriptor_close_end();
}

/* close is a cancellation point: cancelled inside it, the thread still ends its count,
   or every later window would wait its full bound. glibc's cleanup buffers need no
   -fexceptions (and no libgcc_s). errno is the close's own, or untouched on success. */
EXPORT int close(int fd)
{
	if (!next_close)
		closes_resolve();
	int saved_errno = errno;
	int result;
	pthread_cleanup_push(end_close, NULL);
	descriptor_close_begin();
	result = next_close(fd);
	if (result == 0)
		errno = saved_errno;
	saved_errno = errno;
	pthread_cleanup_pop(1);
	errno = saved_errno;
	return result;
}

/* Neither is a cancellation point. */
EXPORT void closefrom(int lowest)
{
	if (!next_closefrom)
		closes_resolve();
	if (!next_closefrom)
		return;
	int saved_errno = errno;
	descriptor_close_begin();
	next_closefrom(lowest);
	descriptor_close_end();
	errno = saved_errno;
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	if (!next_close_range)
		closes_resolve();
	if (!next_close_range) {
		errno = ENOSYS;
		return -1;
	}
	int saved_errno = errno;
	descriptor_close_begin();
	int result = next_close_range(first, last, flags);
	int close_errno = result == 0 ? saved_errno : errno;
	descriptor_close_end();
	errno = close_errno;
	return result;
}

/* dup2 and dup3 close the number they copy to, whoever had it. */
EXPORT int dup2(int from, int to)
{
	if (!next_dup2)
		closes_resolve();
	int saved_errno = errno;
	descriptor_close_begin();
	int result = next_dup2(from, to);
	int dup_errno = result >= 0 ? saved_errno : errno;
	descriptor_close_end();
	errno = dup_errno;
	return result;
}

EXPORT int dup3(int from, int to, int flags)
{
	if (!next_dup3)
		closes_resolve();
	int saved_errno = errno;
	descriptor_close_begin();
	int result = next_dup3(from, to, flags);
	int dup_errno = result >= 0 ? saved_errno : errno;
	descriptor_close_end();
	errno = dup_errno;
	return result;
}
