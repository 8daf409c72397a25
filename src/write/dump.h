/* Writing profiles: at exit, and on request through the public API. */
#ifndef HEAPPROF_DUMP_H
#define HEAPPROF_DUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

/* Records the process start time that profiles report. */
void dump_start_clock(void);

/* Writes a complete profile to `path`, or to the HEAPPROF_OUT template when NULL.
   Returns 0 or an errno value; failures also print one "heapprof:" line. */
int dump_write(const char *path);

/* The most memory the endpoint's builds keep between requests: after a request that
   needed more, it is freed. */
#define DUMP_KEPT_LIMIT ((size_t)64 << 20)

/* The profile a dump would write now, gzip'd (the endpoint's answer), timed as Go
   times a heap profile (profile_request.at_moment): with `base`, the allocations since
   it and what is in use now, timed from it. `default_sample_type` as in
   profile_request. NULL when memory ran out. The memory it is built in is kept for the
   next build: the profile is valid until then, or until dump_build_finished. */
const struct pprof_buffer *dump_build(const struct profile_base *base, const char *default_sample_type);

/* The caller is done with the profile dump_build returned: its memory is freed if it
   is more than DUMP_KEPT_LIMIT, kept otherwise. */
void dump_build_finished(void);

/* Appends the `count` sites with the largest `sample_index` (describe.h) to `text`. */
void dump_describe(struct pprof_buffer *text, unsigned sample_index, unsigned count);

/* The final profile (and the peak profile), once, when the process exits; recording
   stops afterwards. */
void dump_at_exit(void);

/* True once the exit dump has begun: later periodic dumps are pointless. */
bool dump_exit_started(void);

void dump_lock(void);
void dump_unlock(void);

#endif
