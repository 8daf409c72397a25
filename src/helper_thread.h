/* heapprof's own threads (the dump thread, the endpoint, the thread that ends a
   stopped process): detached, with every signal blocked, since signals belong to the
   program. */
#ifndef HEAPPROF_HELPER_THREAD_H
#define HEAPPROF_HELPER_THREAD_H

#include <stdbool.h>

/* Starts `run(argument)` on a new thread. False when it could not be created. */
bool helper_thread_start(void *(*run)(void *argument), void *argument);

#endif
