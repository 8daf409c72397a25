/* close, closefrom and close_range as the program sees them: forwarded to the next
   definition, each after waiting while heapprof makes a descriptor (descriptors.c). A
   program that closes every descriptor would otherwise close heapprof's new one in
   the lowest free number and open a file of its own there before heapprof moves it
   up: the move would take the program's file and close its number. */
#include "closes.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include "descriptors.h"

#define EXPORT __attribute__((visibility("default")))

static int (*_Atomic next_close)(int);
static void (*_Atomic next_closefrom)(int);
static int (*_Atomic next_close_range)(unsigned, unsigned, int);

void closes_resolve(void)
{
	next_close = (__typeof__(next_close))dlsym(RTLD_NEXT, "close");
	next_closefrom = (__typeof__(next_closefrom))dlsym(RTLD_NEXT, "closefrom");
	next_close_range = (__typeof__(next_close_range))dlsym(RTLD_NEXT, "close_range");
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
