/* Profiles during the run: on a signal (HEAPPROF_DUMP_SIGNAL), every N bytes
   allocated (HEAPPROF_DUMP_INTERVAL) and every N seconds (HEAPPROF_DUMP_PERIOD).
   Signal handlers and allocations only wake a helper thread, which writes. */
#ifndef HEAPPROF_DUMP_THREAD_H
#define HEAPPROF_DUMP_THREAD_H

#include <stdint.h>

/* Starts the helper thread and the signal handler when any of the options is set. */
void dump_thread_start(void);

/* In a forked child: the helper thread stayed in the parent. Dumps asked for before
   the child's own starts are not written; its final profile is, at exit. */
void dump_thread_fork_child(void);

/* The child's own helper thread (service.c); the signal handler it inherited stays. */
void dump_thread_start_in_child(void);

/* Once the initial thread has ended (helper_thread.c): the dump thread looks every
   HELPER_THREAD_CHECK_MS whether it is among the last threads, and leaves if so.
   Wakes it now. */
void dump_thread_look_around(void);

/* Counts a sample's estimated bytes towards HEAPPROF_DUMP_INTERVAL. */
void dump_thread_count_allocation(uint64_t bytes);

#endif
