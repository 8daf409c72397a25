#include "dispositions.h"

#include <dlfcn.h>
#include <stdatomic.h>

#include "stop.h"

#define EXPORT __attribute__((visibility("default")))

typedef __sighandler_t handler_function(int, __sighandler_t);

/* The calls that set a disposition and return the old one, by their C library names
   (signal, bsd_signal and ssignal are one function under three names, sysv_signal and
   __sysv_signal another, which `signal` becomes under strict ISO C). */
enum {
	SIGNAL,
	BSD_SIGNAL,
	SSIGNAL,
	SYSV_SIGNAL,
	SYSV_SIGNAL_ISO,
	SIGSET,
	HANDLER_FUNCTIONS,
};
static const char *const names[HANDLER_FUNCTIONS] = {"signal",      "bsd_signal",    "ssignal",
						     "sysv_signal", "__sysv_signal", "sigset"};
static handler_function *_Atomic next_functions[HANDLER_FUNCTIONS];
static int (*_Atomic next_sigaction)(int, const struct sigaction *, struct sigaction *);

void dispositions_resolve(void)
{
	next_sigaction = (__typeof__(next_sigaction))dlsym(RTLD_NEXT, "sigaction");
	for (unsigned i = 0; i < HANDLER_FUNCTIONS; i++)
		next_functions[i] = (handler_function *)dlsym(RTLD_NEXT, names[i]);
}

int dispositions_real_sigaction(int signal, const struct sigaction *action, struct sigaction *old)
{
	if (!next_sigaction)
		dispositions_resolve();
	return next_sigaction(signal, action, old);
}

EXPORT int sigaction(int signal, const struct sigaction *action, struct sigaction *old)
{
	int result = dispositions_real_sigaction(signal, action, old);
	if (result == 0 && old && stop_is_ours(old->sa_handler))
		*old = *stop_program_view(signal);
	return result;
}

EXPORT int __sigaction(int signal, const struct sigaction *action, struct sigaction *old)
{
	return sigaction(signal, action, old);
}

static __sighandler_t forward(unsigned which, int signal, __sighandler_t handler)
{
	if (!next_functions[which])
		dispositions_resolve();
	handler_function *next_function = next_functions[which];
	if (!next_function)
		return SIG_ERR;
	__sighandler_t old = next_function(signal, handler);
	return old != SIG_ERR && stop_is_ours(old) ? stop_program_view(signal)->sa_handler : old;
}

EXPORT __sighandler_t signal(int signal, __sighandler_t handler)
{
	return forward(SIGNAL, signal, handler);
}

EXPORT __sighandler_t bsd_signal(int signal, __sighandler_t handler)
{
	return forward(BSD_SIGNAL, signal, handler);
}

EXPORT __sighandler_t ssignal(int signal, __sighandler_t handler)
{
	return forward(SSIGNAL, signal, handler);
}

EXPORT __sighandler_t sysv_signal(int signal, __sighandler_t handler)
{
	return forward(SYSV_SIGNAL, signal, handler);
}

EXPORT __sighandler_t __sysv_signal(int signal, __sighandler_t handler)
{
	return forward(SYSV_SIGNAL_ISO, signal, handler);
}

EXPORT __sighandler_t sigset(int signal, __sighandler_t disposition)
{
	return forward(SIGSET, signal, disposition);
}
