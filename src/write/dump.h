/* Writing profiles: at exit, and on request through the public API. */
#ifndef HEAPPROF_DUMP_H
#define HEAPPROF_DUMP_H

#include <stdbool.h>
#include <stdint.h>

/* Records the process start time that profiles report. */
void dump_start_clock(void);

/* Writes a complete profile to `path`, or to the HEAPPROF_OUT template when NULL.
   Returns 0 or an errno value; failures also print one "heapprof:" line. */
int dump_write(const char *path);

/* The final profile (and the peak profile), once, when the process exits; recording
   stops afterwards. */
void dump_at_exit(void);

/* True once the exit dump has begun: later periodic dumps are pointless. */
bool dump_exit_started(void);

void dump_lock(void);
void dump_unlock(void);

#endif
