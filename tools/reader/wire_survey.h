/* Walks an encoded profile before it is decoded, to know what decoding it
   will take: how many samples and locations it holds and how many bytes
   protobuf-c will allocate for it, so that a profile over budget is refused
   before any of that memory is spent. It also finds a second time_nanos
   after a nonzero one (two profiles written back to back, which pprof
   refuses); protobuf-c would keep the last. And it finds the fields pprof
   skips and protobuf-c refuses, numbered 0 or past 2^32, to be taken out
   (wire_survey_take_out_skipped). */
#ifndef HEAPPROF_TOOLS_WIRE_SURVEY_H
#define HEAPPROF_TOOLS_WIRE_SURVEY_H

#include <stddef.h>

struct wire_survey {
	size_t samples, locations;
	size_t decoded_bytes;  /* what protobuf-c will allocate, near enough; saturates */
	size_t skipped_fields; /* numbered 0 or past 2^32, at any depth */
};

/* Returns 0, or -1 with a one-line reason in error when the top-level
   message is not well-formed protobuf or is two profiles. A malformed nested
   message is left for protobuf-c to refuse. */
int wire_survey_profile(const unsigned char *bytes, size_t size, struct wire_survey *survey, char *error,
			size_t error_size);

/* Rewrites the profile in place without the fields pprof skips and
   protobuf-c refuses, the lengths of the messages that held them written
   anew; returns its new size. */
size_t wire_survey_take_out_skipped(unsigned char *bytes, size_t size);

#endif
