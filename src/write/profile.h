/* Turns the recorded sites into a pprof heap profile with Go's four sample types,
   symbolized in-process so the file opens anywhere without the binaries. */
#ifndef HEAPPROF_PROFILE_H
#define HEAPPROF_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "ages.h"
#include "common/hash_map.h"
#include "pprof_writer.h"
#include "record/sites.h"
#include "symbolize/symbolize.h"

struct profile_summary {
	uint64_t samples; /* sampled allocations, unscaled */
	uint64_t stacks;
	uint64_t alloc_bytes; /* estimates, scaled as in the profile */
	uint64_t inuse_bytes;
};

enum profile_view {
	PROFILE_CURRENT, /* the counters now */
	PROFILE_PEAK,    /* the counters at the in-use peak (hold estimate_hold_peak) */
	PROFILE_DELTA,   /* allocations since a base (profile_base_take); in use now */
};

/* Every site's allocation count at one moment: where a PROFILE_DELTA starts. */
struct profile_base;
/* NULL when memory ran out. */
struct profile_base *profile_base_take(void);
void profile_base_free(struct profile_base *base);

struct profile_request {
	enum profile_view view;
	int64_t start_nanos; /* the process start in wall-clock time; a delta starts at its base */
	/* time_nanos is the moment the profile is taken and there is no duration_nanos, as
	   in Go's heap profiles: collectors take a profile with a duration for a delta
	   (docs/fleet.md). A PROFILE_CURRENT served without a window. */
	bool at_moment;
	const struct profile_base *base; /* PROFILE_DELTA */
	/* The profile's default_sample_type; NULL leaves pprof's default, the last type
	   (inuse_space), as a dump does. */
	const char *default_sample_type;
	/* The profile's one comment, NULL for none: pprof prints it in every report's
	   header. */
	const char *comment;
};

/* The tables a profile is built with. Zero-initialized, it holds nothing; it keeps
   its memory from one profile to the next, until profile_workspace_free, so that a
   caller that builds profiles often (the endpoint) allocates once what each needs. */
struct profile_workspace {
	struct ages ages;
	/* Each table gives ids 1, 2, ... as hash_map indices 0, 1, ... */
	struct hash_map strings; /* the text of id i is string_text[i] */
	char **string_text;
	size_t string_capacity;
	struct hash_map locations; /* pc */
	struct hash_map functions; /* key: name, system name, file, start line; kept in function_keys */
	uint64_t (*function_keys)[4];
	size_t function_capacity;
	uint64_t *pending_pcs; /* locations in id order, written after the samples */
	size_t pending_capacity;
	struct pprof_buffer scratch, line, label;
};

void profile_workspace_free(struct profile_workspace *tables);

/* The bytes `tables` keeps (the texts of strings apart: they are freed after each
   profile). */
size_t profile_workspace_bytes(const struct profile_workspace *tables);

/* Encodes the profile (uncompressed) into `out`, reusing its memory, with `tables`.
   False when memory ran out; `out` and `tables` are then freed. Under the dump lock
   (dump.c): the symbolizer is shared. */
bool profile_encode(struct pprof_buffer *out, const struct profile_request *request,
		    struct profile_summary *summary, struct profile_workspace *tables);

/* A site's four values (alloc_objects, alloc_space, inuse_objects, inuse_space) as
   the profile writes them, unsampled at the rate they were sampled at, and its sampled
   allocations; false when it has nothing in the request's view. */
bool profile_site_values(const struct site *site, const struct profile_request *request, uint64_t values[4],
			 uint64_t *sampled);

/* Names the frames at `pc` as the profile does, innermost first (symbolizer_lookup);
   the number of frames. Under the dump lock. */
unsigned profile_symbolize(uintptr_t pc, symbolize_callback *callback, void *context);

/* Go's unsampling for (count, bytes) recorded at `rate` (runtime/pprof scaleHeapSample),
   except that (count, 0) stays (count, 0) where Go gives (0, 0): at rate 1 heapprof
   records malloc(0), and those calls are real allocations to count. */
void profile_unsample(uint64_t count, uint64_t bytes, uint64_t rate, uint64_t *scaled_count,
		      uint64_t *scaled_bytes);

#endif
