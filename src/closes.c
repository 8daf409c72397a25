/* close, closefrom and close_range as the program sees them: forwarded to the next
   definition, each after waiting while heapprof makes a descriptor (descriptors.c). A
   program that closes every descriptor would otherwise close heapprof's new one in
   the lowest free number and open a file of its own there before heapprof moves it
   up: the move would take the program's file and close its number. */
#include "closes.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

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

static bool start_close(void)
{
	descriptor_close_begin();
	return true;
}

/* Ends the close even when the thread is cancelled in it (close is a cancellation
   point): the library is built with -fexceptions, so a cancellation's unwinding runs
   this. */
static void end_close(bool *started)
{
	(void)started;
	descriptor_close_end();
}

EXPORT int close(int fd)
{
	if (!next_close)
		closes_resolve();
	__attribute__((cleanup(end_close))) bool started = start_close();
	return next_close(fd);
}

EXPORT void closefrom(int lowest)
{
	if (!next_closefrom)
		closes_resolve();
	if (!next_closefrom)
		return;
	__attribute__((cleanup(end_close))) bool started = start_close();
	next_closefrom(lowest);
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	if (!next_close_range)
		closes_resolve();
	if (!next_close_range) {
		errno = ENOSYS;
		return -1;
	}
	__attribute__((cleanup(end_close))) bool started = start_close();
	return next_close_range(first, last, flags);
}
