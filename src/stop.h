/* A stopped service: SIGTERM, SIGINT and SIGHUP that the program leaves at their
   default action write the final profile, then end the process as that action would
   (the same signal, the same wait status). docs/design.md, "Stop signals". */
#ifndef HEAPPROF_STOP_H
#define HEAPPROF_STOP_H

#include <signal.h>
#include <stdbool.h>

/* At start-up: installs heapprof's handler on each of the three that is at its
   default action (none in process 1, where the default is to ignore them). */
void stop_start(void);

/* From an allocation at a safe point (service.c): a pending stop writes the final
   profile and ends the process, and this thread waits for the end. */
void stop_at_safe_point(void);

/* After the exit's profile: a stop signal that came while the program was somewhere
   the profile could not safely be started ends the process now, as that signal would
   have ended it. */
void stop_at_exit(void);

/* In a fork child: a stop the parent had begun is the parent's. */
void stop_fork_child(void);

/* Whether `handler` (an sa_handler or sa_sigaction) is heapprof's. */
bool stop_is_ours(void (*handler)(int));

/* What the program would see as `signal`'s disposition had heapprof not installed its
   handler: the one it found at start-up. */
const struct sigaction *stop_program_view(int signal);

#endif
