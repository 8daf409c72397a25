/* The program's view of its signal dispositions: sigaction, signal and their kin,
   interposed, so that where heapprof's stop handler stands in for a default action
   (stop.c) the program still sees the default action. */
#ifndef HEAPPROF_DISPOSITIONS_H
#define HEAPPROF_DISPOSITIONS_H

#include <signal.h>

/* Looks up the C library's functions, at start-up (a later first use looks them up
   then, which a signal handler must not). */
void dispositions_resolve(void);

/* The C library's sigaction, for heapprof's own use. */
int dispositions_real_sigaction(int signal, const struct sigaction *action, struct sigaction *old);

#endif
