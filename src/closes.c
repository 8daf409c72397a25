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

/* close is a cancellation point. A thread cancelled inside it would never end its
   count, and every later window would wait its full bound: cancellation waits for the
   close to end its count, and acts then, as it would have at the close. */
static int start_close(void)
{
	int cancel_state;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	descriptor_close_begin();
	return cancel_state;
}

static void end_close(int cancel_state)
{
	int saved_errno = errno;
	descriptor_close_end();
	pthread_setcancelstate(cancel_state, NULL);
	if (cancel_state == PTHREAD_CANCEL_ENABLE)
		pthread_testcancel();
	errno = saved_errno;
}

EXPORT int close(int fd)
{
	if (!next_close)
		closes_resolve();
	int cancel_state = start_close();
	int result = next_close(fd);
	end_close(cancel_state);
	return result;
}

EXPORT void closefrom(int lowest)
{
	if (!next_closefrom)
		closes_resolve();
	if (!next_closefrom)
		return;
	int cancel_state = start_close();
	next_closefrom(lowest);
	end_close(cancel_state);
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	if (!next_close_range)
		closes_resolve();
	if (!next_close_range) {
		errno = ENOSYS;
		return -1;
	}
	int cancel_state = start_close();
	int result = next_close_range(first, last, flags);
	end_close(cancel_state);
	return result;
}
