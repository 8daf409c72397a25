/* Turns the recorded sites into a pprof heap profile with Go's four sample types,
   symbolized in-process so the file opens anywhere without the binaries. */
#ifndef HEAPPROF_PROFILE_H
#define HEAPPROF_PROFILE_H

#include <stdint.h>

#include "pprof_writer.h"

struct profile_summary {
	uint64_t samples; /* sampled allocations, unscaled */
	uint64_t stacks;
	uint64_t alloc_bytes; /* estimates, scaled as in the profile */
	uint64_t inuse_bytes;
};

enum profile_view {
	PROFILE_CURRENT, /* the counters now */
	PROFILE_PEAK,    /* the counters at the in-use peak (hold estimate_hold_peak) */
};

/* Encodes the profile (uncompressed) into `out`. `start_nanos` is the process start
   in wall-clock time. False when memory ran out. */
bool profile_encode(struct pprof_buffer *out, enum profile_view view, int64_t start_nanos,
		    struct profile_summary *summary);

/* Go's unsampling for (count, bytes) recorded at `rate` (runtime/pprof scaleHeapSample),
   except that (count, 0) stays (count, 0) where Go gives (0, 0): at rate 1 heapprof
   records malloc(0), and those calls are real allocations to count. */
void profile_unsample(uint64_t count, uint64_t bytes, uint64_t rate, uint64_t *scaled_count,
		      uint64_t *scaled_bytes);

#endif
