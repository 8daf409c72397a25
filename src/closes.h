/* close, closefrom and close_range, interposed: each waits while heapprof makes a
   descriptor of its own (descriptors.c). */
#ifndef HEAPPROF_CLOSES_H
#define HEAPPROF_CLOSES_H

/* Looks up the C library's functions, at start-up (a later first use looks them up
   then, which a signal handler must not). */
void closes_resolve(void);

#endif
