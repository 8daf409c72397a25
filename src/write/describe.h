/* The endpoint's ?debug=1 text: a profile's top sites by one sample type, each with
   its stack named as the profile names it, for a person reading it with curl. */
#ifndef HEAPPROF_DESCRIBE_H
#define HEAPPROF_DESCRIBE_H

#include "pprof_writer.h"
#include "profile.h"

/* The sample types in the profile's order: what `sample_index` counts. */
enum {
	DESCRIBE_ALLOC_OBJECTS,
	DESCRIBE_ALLOC_SPACE,
	DESCRIBE_INUSE_OBJECTS,
	DESCRIBE_INUSE_SPACE,
};

#define DESCRIBE_MAX_SITES 64

/* Appends up to `count` (at most DESCRIBE_MAX_SITES) sites with the largest value of
   `sample_index` to `text`. Under the dump lock: the stacks are symbolized. */
void describe_top_sites(struct pprof_buffer *text, const struct profile_request *request,
			unsigned sample_index, unsigned count);

#endif
