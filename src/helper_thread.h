/* heapprof's own threads (the dump thread, the endpoint, the thread that ends a
   stopped process): detached, with every signal blocked, since signals belong to the
   program, and never what keeps the process alive. glibc ends a process when its last
   thread ends, which once the initial thread has called pthread_exit is whichever ends
   last: heapprof's threads then leave when they are the only ones left, and glibc ends
   the process on the last of them (docs/design.md, "heapprof's threads"). */
#ifndef HEAPPROF_HELPER_THREAD_H
#define HEAPPROF_HELPER_THREAD_H

#include <stdbool.h>

/* How often heapprof's threads look whether they are alone, once the initial thread
   has ended. */
#define HELPER_THREAD_CHECK_MS 20

/* Starts `run(argument)` on a new thread. False when it could not be created. */
bool helper_thread_start(void *(*run)(void *argument), void *argument);

/* At start-up: the calling thread is the initial one, whose end without exit
   (pthread_exit, thrd_exit) is noticed, and wakes the dump thread. */
void helper_thread_watch_initial(void);

/* Around fork: the thread that forks is the child's initial thread, which may end by
   returning from its start routine too. */
void helper_thread_fork_prepare(void);
void helper_thread_fork_child(void);

/* Whether the initial thread has ended: heapprof's threads then wait at most
   HELPER_THREAD_CHECK_MS between calls of helper_thread_leave_if_alone. */
bool helper_thread_initial_ended(void);

/* On a heapprof thread holding none of heapprof's locks, once the initial thread has
   ended: when heapprof's threads are the only ones left, ends this one (pthread_exit;
   the last of them to go runs the program's exit); returns otherwise. */
void helper_thread_leave_if_alone(void);

#endif
